"""The one shape of a button on the job page: do the thing, say what happened, go back.

A refusal (NotAllowedNow: the job's state does not fit) is shown as an error message, not raised.
"""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from onboarding import engine


def job_action(
    request: HttpRequest,
    job,
    do: Callable[[], object],
    done: str | Callable[[object], str],
    refused_to=None,
) -> HttpResponse:
    """Run `do()`; on success show `done` (or `done(result)`) and go to the job page; when it is
    refused, show why and go to `refused_to` (default: the job page)."""
    try:
        result = do()
    except engine.NotAllowedNow as error:
        messages.error(request, str(error))
        return redirect(refused_to or job)
    messages.success(request, done(result) if callable(done) else done)
    return redirect(job)
