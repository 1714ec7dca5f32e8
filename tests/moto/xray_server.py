"""moto_server with one fix for X-Ray, for warroom's tests (tests/moto/mod.rs, start_patched).

moto 5.2.5 answers GetTraceSummaries with `"Users": {}` in every summary, where the API
(and so the Rust SDK's parser) wants a list: the SDK then fails to read the whole answer.
This launcher wraps moto's summary builder to send `[]` instead, then runs moto_server with
the given arguments (`-H 127.0.0.1 -p PORT`). Nothing else is changed.
"""

import sys

from moto.server import main
from moto.xray import models

_summary = models.SegmentCollection.summary


def _summary_with_user_list(self, *args, **kwargs):
    result = _summary(self, *args, **kwargs)
    for s in result.get("TraceSummaries", []):
        if not isinstance(s.get("Users"), list):
            s["Users"] = []
    return result


models.SegmentCollection.summary = _summary_with_user_list

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
