"""The embedded file broker never exposes a half-written message to a consumer."""

import os

from django.conf import settings

from portal.celery import app


def test_the_embedded_broker_is_the_atomic_transport():
    if not settings.CELERY_BROKER_URL.startswith("filesystem"):
        return  # Redis in CI: nothing to check here
    with app.connection_for_write() as connection:
        assert connection.transport_cls == "portal.broker:Transport"


def test_a_message_appears_whole_under_its_final_name(tmp_path, monkeypatch):
    from portal.broker import Channel

    seen_while_writing = []
    real_open = open

    def spying_open(path, mode="r", *args, **kwargs):
        handle = real_open(path, mode, *args, **kwargs)
        if "w" in mode:
            seen_while_writing.append(sorted(os.listdir(tmp_path)))
        return handle

    channel = Channel.__new__(Channel)
    channel.data_folder_out = str(tmp_path)
    monkeypatch.setattr("builtins.open", spying_open)
    channel._put("celery", {"body": "x" * 10_000})
    monkeypatch.undo()
    # While the bytes were being written, no file with the consumer's ".celery.msg" ending existed.
    assert all(not name.endswith(".celery.msg") for names in seen_while_writing for name in names)
    [final] = os.listdir(tmp_path)
    assert final.endswith(".celery.msg")
    assert (tmp_path / final).read_text().count("x") == 10_000
