"""A plugin backend's license check: does this BuiltByBit member own a valid license?

    python examples/license_check.py RESOURCE_ID MEMBER_ID

With `BUILTBYBIT_TOKEN` (an API v2 token of the resource's author) the check reads the resource's
licenses through API v2. With `BUILTBYBIT_SHARED_TOKEN` instead (the Shared v1 token a plugin may
ship), it asks API v1, passing the download's `NONCE` and `TIMESTAMP` (from the plugin's
placeholders) when they are set. Exit code 0: licensed, 1: not licensed.

Environment: `BUILTBYBIT_BASE_URL` / `BUILTBYBIT_V1_BASE_URL` point at other API roots.
"""

from __future__ import annotations

import argparse
import os
import sys

import craftapis


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("resource_id", type=int)
    parser.add_argument("member_id", type=int)
    args = parser.parse_args(argv)

    if token := os.environ.get("BUILTBYBIT_TOKEN"):
        with craftapis.BuiltByBit(token=token, base_url=os.environ.get("BUILTBYBIT_BASE_URL")) as bbb:
            check = bbb.check_license(args.resource_id, args.member_id)
        print(f"v2: {check.status.value}: {check.reason}")
        return 0 if check else 1
    if shared := os.environ.get("BUILTBYBIT_SHARED_TOKEN"):
        with craftapis.BuiltByBitV1(
            shared_token=shared, base_url=os.environ.get("BUILTBYBIT_V1_BASE_URL")
        ) as v1:
            result = v1.validate_license(
                args.resource_id,
                args.member_id,
                nonce=os.environ.get("NONCE"),
                timestamp=os.environ.get("TIMESTAMP"),
            )
        print(f"v1: {'licensed' if result else 'not licensed'}: {result.reason}")
        return 0 if result else 1
    print("set BUILTBYBIT_TOKEN (API v2) or BUILTBYBIT_SHARED_TOKEN (API v1)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
