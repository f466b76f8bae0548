#!/usr/bin/env python3
"""Write (or check) contracts/ABI.md, the ledger's ABI with its NatSpec, generated from the compiler output.

scripts/abi_doc.py           print the Markdown
scripts/abi_doc.py --write   update contracts/ABI.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from devtools.abidoc import render
from ledger.compiler import compile_contracts
from ledger.paths import CONTRACTS_DIR

ABI_DOC = CONTRACTS_DIR / "ABI.md"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--write", action="store_true", help=f"write {ABI_DOC}")
    args = parser.parse_args()
    text = render(compile_contracts()["PledgeLedger"])
    if args.write:
        ABI_DOC.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
