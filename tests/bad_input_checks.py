"""What every bad-input table asserts about an error: one sentence that names the argument."""


def assert_one_sentence_naming(excinfo, *words):
    """The message of ``excinfo`` is one line and holds every one of ``words``."""
    message = str(excinfo.value)
    assert "\n" not in message, message
    for word in words:
        assert word in message, (word, message)


def assert_table_error(raised, error, argument, words):
    """``raised`` is exactly an ``error`` whose one-line message names ``argument``, holds
    every one of ``words``, and is not numpy's message about a ragged array."""
    message = str(raised)
    assert type(raised) is error
    assert argument in message, f"{argument!r} not in {message!r}"
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"
    assert "\n" not in message and "inhomogeneous" not in message
