"""How long the message triage takes: training from the shipped corpus (once per process, at
start-up) and reading one message, against the trigger table alone as the baseline, on the
same messages in the same process.

    .venv/bin/python -m bench.triage [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.services.complaints import match_triggers
from bot.triage import triage
from bot.triage.model import load_corpus, shipped_model, train


def _per_message(call, texts: list[str], rounds: int) -> float:
    """Median over rounds of the mean seconds per message."""
    times = []
    for _round in range(rounds):
        start = time.perf_counter()
        for text in texts:
            call(text)
        times.append((time.perf_counter() - start) / len(texts))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    corpus = load_corpus()
    texts = [e.text for e in corpus]
    trainings = []
    for _round in range(args.rounds):
        start = time.perf_counter()
        train(corpus)
        trainings.append(time.perf_counter() - start)
    shipped_model()  # trained once, as at start-up
    baseline = _per_message(match_triggers, texts, args.rounds)
    recogniser = _per_message(triage, texts, args.rounds)
    print(f"corpus: {len(corpus)} messages")
    print(f"training: median {statistics.median(trainings):.2f} s over {args.rounds} runs")
    print(f"trigger table alone: {baseline * 1000:.2f} ms per message")
    print(
        f"triage: {recogniser * 1000:.2f} ms per message ({recogniser / baseline:.1f}× the table)"
    )


if __name__ == "__main__":
    main()
