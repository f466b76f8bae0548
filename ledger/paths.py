"""Where the project's files live: sources, Node tools and generated artifacts."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = PROJECT_ROOT / "contracts"
NODE_MODULES = PROJECT_ROOT / "node_modules"
SOLC_ADAPTER = PROJECT_ROOT / "scripts" / "solc"
DEFAULT_BUILD_DIR = PROJECT_ROOT / "build"
