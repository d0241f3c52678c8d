"""Keep the embedded database running: restart a child that died, with backoff.

A crashed SecantusDB child used to stay dead until someone relaunched the platform, while
the hub kept answering (and, before the spill, acknowledging). The supervisor notices the
exit within ``check_seconds``, restarts the child on the same port (clients reconnect on
their own) and waits longer after each failed attempt (``first_delay`` doubling up to
``max_delay``). After ``max_attempts`` failures in a row it gives up and logs an error: a
database that cannot start (disk full, data folder locked) needs a person, and the
platform keeps serving what does not need it, answering 50020/50023 for what does.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from isomer_data.core.errors import IsomerError

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(
        self,
        embedded,
        *,
        check_seconds: float = 1.0,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
        max_attempts: int = 5,
    ):
        self.embedded = embedded
        self.check_seconds = check_seconds
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.max_attempts = max_attempts
        self.restarts = 0  # successful restarts since start
        self.failures = 0  # failed attempts in a row
        self.gave_up = False
        self.last_error = ""
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-database")

    async def run(self) -> None:
        while not self.gave_up:
            await asyncio.sleep(self.check_seconds)
            if self.embedded.crashed:
                await self.recover()

    async def recover(self) -> bool:
        """Restart until it runs or the attempts are spent; True when it runs again."""
        delay = self.first_delay
        while self.failures < self.max_attempts:
            try:
                # Start-up blocks (it waits for the child to answer): off the event loop, but
                # on the supervisor's own thread, which lives as long as the platform: Linux
                # sends PR_SET_PDEATHSIG when the *thread* that started the child ends, so a
                # pool thread retired later would take the database down with it.
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._thread, self.embedded.restart)
            except IsomerError as exc:
                self.failures += 1
                self.last_error = str(exc)
                log.error(
                    "embedded database restart %d/%d failed: %s; next try in %.0f s",
                    self.failures,
                    self.max_attempts,
                    exc,
                    delay,
                )
                if self.failures >= self.max_attempts:
                    break
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_delay)
                continue
            self.restarts += 1
            self.failures = 0
            log.warning(
                "embedded database restarted (pid %s, restart %d)",
                self.embedded.process.pid,
                self.restarts,
            )
            return True
        self.gave_up = True
        log.error(
            "embedded database: giving up after %d failed restarts (%s); launch the platform "
            "again once the cause is fixed",
            self.max_attempts,
            self.last_error,
        )
        return False
