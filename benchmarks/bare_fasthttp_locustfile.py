"""The baseline of bench_locust_efficiency.py: a bare FastHttpUser posting the same bodies as
load/locustfile.py's resend flow (register, resend, verify with the fixed code), and nothing else.
"""

import itertools
import os

from locust import FastHttpUser, constant, task

TOKEN = os.environ["BENCH_TOKEN"]
COUNTRY_CODE = os.environ["BENCH_COUNTRY_CODE"]
PREFIX = os.environ["BENCH_PREFIX"]
FIXED_CODE = os.environ["BENCH_FIXED_CODE"]
numbers = itertools.count()


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def register_resend_verify(self):
        number = {"phone_number": f"{PREFIX}{next(numbers):010d}", "countryCode": COUNTRY_CODE}
        headers = {"user-jwt-token": TOKEN}
        auth_code = self.client.post("/fe/users/auth/otp/register", json=number, headers=headers, name="register").json()["authCode"]
        self.client.post("/fe/users/auth/otp/resend", json=number, headers=headers, name="resend")
        self.client.post("/fe/users/auth/otp/verify", json={**number, "authCode": auth_code, "otp": FIXED_CODE}, headers=headers, name="verify")
