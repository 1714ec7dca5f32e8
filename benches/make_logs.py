#!/usr/bin/env python3
"""Write N realistic JSON log lines (~335 bytes each) for whole-process comparisons of
`warroom logs` with grep:

    python3 benches/make_logs.py 1000000 /tmp/logs-1m.jsonl

Requests of ten lines each across four services, one correlation id per request; about one
line in 97 is an error ("Task timed out after 3.00 seconds"). Prints the id of a request in
the middle of the file (ten lines carry it) to search for.
"""

import datetime
import sys

SERVICES = [
    ("invoice-api", "POST /invoices/{id}/approve"),
    ("invoice-approval-worker", "ApproveInvoice"),
    ("notification-service", "SendApprovalNotice"),
    ("ledger-api", "POST /ledger/approvals"),
]
T0 = 1_773_306_000_000


def cid(req):
    return "c-%08x" % (((req * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF) >> 32)


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    with open(out, "w", buffering=1 << 20) as f:
        for i in range(n):
            req = i // 10
            service, op = SERVICES[i % 4]
            if i % 97 == 0:
                level, msg = "ERROR", "Task timed out after 3.00 seconds"
            else:
                level, msg = "INFO", "Calling ledger-api to approve invoice inv-%06d" % (req % 1_000_000)
            at = T0 + i * 3
            ts = (epoch + datetime.timedelta(milliseconds=at)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            f.write(
                '{"timestamp":"%s","level":"%s","service":"%s","region":"eu-west-1",'
                '"operation":"%s","correlationId":"%s","tenantId":"tenant-%d",'
                '"message":"%s","traceId":"1-%08x-%024x","durationMs":%d,'
                '"userAgent":"Mozilla/5.0 (X11; Linux x86_64)"}\n'
                % (ts, level, service, op, cid(req), req % 97, msg, at // 1000, req, (i * 7919) % 3000)
            )
    print(cid(n // 20))


if __name__ == "__main__":
    main()
