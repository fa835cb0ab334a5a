"""The domain rules, one module per domain; `lib.rules` is the one import (see lib/rules.py)."""
