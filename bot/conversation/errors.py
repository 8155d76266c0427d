"""Control flow shared by the text conversation's screens."""


class Retry(Exception):
    """The resident's reply did not fit the screen: show the hint, then the screen again."""
