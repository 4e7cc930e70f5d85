"""Waiting for a new or changed app to work: the connector's own JWT login, polled until Salesforce
has applied the app, with My Domain probed alongside (users report apps that work there first, or only).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from core.defaults import CONNECTOR_LOGIN_URL
from core.errors import AppError, NetworkError, PropagationTimeout, SalesforceLoginError
from core.salesforce.login import LoginCause, LoginResult, verify_jwt_login
from core.steps.progress import LoginAttempt, Notice, Runtime, Waiting
from core.text import duration
from core.urls import SafeUrl


def wait_for_connector_login(
    *,
    username: str,
    consumer_key: str,
    private_key: RSAPrivateKey,
    login_url: SafeUrl = CONNECTOR_LOGIN_URL,
    my_domain_url: SafeUrl | None = None,
    run: Runtime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> LoginResult:
    """Poll the connector's own JWT login until it works (every ``run.timings.login_poll_interval``
    seconds, up to ``run.timings.login_wait``), reporting each refusal as a ``LoginAttempt``.

    Retries the answers a new app gives until Salesforce has applied it (unknown client, not
    installed, not approved) and network failures; stops at once on any other refusal.

    Raises:
        SalesforceLoginError: an answer waiting cannot fix.
        PropagationTimeout: still refused after the limit (says whether the My Domain host works).
        CancelledError: ``run.cancel`` was set.
    """
    run = run or Runtime()
    timings = run.timings
    poll_interval, timeout = timings.login_poll_interval, timings.login_wait
    started = clock()
    last = ""
    my_domain_works: bool | None = None  # probed at each refusal until it works (not only after the limit)

    def probe_my_domain() -> bool:
        if my_domain_url is None:
            return False
        try:
            verify_jwt_login(
                username=username,
                consumer_key=consumer_key,
                private_key=private_key,
                login_url=my_domain_url,
                timeout=timings.http_timeout,
            )
        except AppError:
            return False
        return True

    while True:
        try:
            return verify_jwt_login(
                username=username,
                consumer_key=consumer_key,
                private_key=private_key,
                login_url=login_url,
                timeout=timings.http_timeout,
            )
        except SalesforceLoginError as exc:
            if not LoginCause(exc.cause).may_clear_by_waiting:
                raise
            last = f"{exc.error}: {exc.description}" if exc.description else exc.error
        except NetworkError as exc:
            last = exc.message
        elapsed = clock() - started
        run.progress(LoginAttempt(elapsed=elapsed, answer=last))
        if my_domain_url and not my_domain_works:
            # Users report new apps that answer at My Domain long before (or instead of) login.salesforce.com:
            # say so plainly as soon as it is true, and keep waiting for the host the connector uses.
            my_domain_works = probe_my_domain()
            if my_domain_works:
                run.progress(
                    Notice(
                        f"The connector's login already works through your My Domain host ({my_domain_url}), but "
                        f"{login_url}, the only host the connector uses, still answers '{last}'. Waiting up to "
                        f"{duration(timeout)} for it."
                    )
                )
        if elapsed + poll_interval > timeout:
            break
        waited = 0.0
        while waited < poll_interval:  # sleep in short steps so that cancel is prompt
            run.cancel.check("Stopped waiting for the connector's login.")
            step = min(1.0, poll_interval - waited)
            sleep(step)
            waited += step
            run.progress(Waiting(elapsed=clock() - started, answer=last))
    if my_domain_url and (my_domain_works or probe_my_domain()):
        raise PropagationTimeout(
            f"The app works through your My Domain host ({my_domain_url}), but {login_url} still answers "
            f"'{last}' after {duration(timeout)}. The connector can only log in through {login_url}.",
            hint="Wait a little longer and verify again. If it persists, set up a Connected App instead (the "
            "wizard offers it; on the command line, setup-salesforce --app-type connected-app), or ask Salesforce "
            "support why the External Client App is not available through login.salesforce.com.",
            my_domain_works=True,
        )
    raise PropagationTimeout(
        f"Salesforce still answers '{last}' after {duration(timeout)}.",
        hint="Salesforce can take longer to apply a new app: wait again (the wizard's Wait for the connector's login; on the command "
        "line, run the same setup-salesforce again, which finishes the wait). The app and the key are in place; "
        "nothing needs to be created again.",
    )
