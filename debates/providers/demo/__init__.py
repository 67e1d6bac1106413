"""The offline demo provider and its text generator (reused by bench/fakellm)."""

from debates.providers.demo.compose import demo_reply, seeded_random, split_tokens
from debates.providers.demo.provider import DEMO_MODELS, DemoProvider

__all__ = ["DEMO_MODELS", "DemoProvider", "demo_reply", "seeded_random", "split_tokens"]
