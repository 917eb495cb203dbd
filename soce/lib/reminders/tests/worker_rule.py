"""The audience of the real-worker tests, registered in the test process and in the worker subprocess."""

import os
import time

from soce.lib.reminders.registry import AudienceRule, Recipient, register

N = 40


def people(step, today):
    # In the subprocess, each recipient takes a little time, so that the test can kill the worker mid-step.
    delay = float(os.environ.get("SOCE_TEST_RECIPIENT_DELAY", "0"))
    for i in range(N):
        if delay:
            time.sleep(delay)
        yield Recipient(key=f"p-{i}", to=f"p{i}@exemple.fr", context={"name": f"P{i}"}, member_id=None)


register(AudienceRule(code="tests.worker_people", label="Personnes (worker)", build=people))
