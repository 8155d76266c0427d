"""The survey definition (data) and the channel-neutral navigation over it."""
