"""Domain services: plain values and a database session in, plain results out.

No module here imports aiogram, so the Telegram dialogs, the text channels and the jobs all call
the same functions. None of them commits: the caller owns the transaction.
"""
