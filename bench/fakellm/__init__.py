"""A local fake LLM provider server speaking the OpenAI and Anthropic protocols.

Answers are the demo provider's text (valid JSON when the request asks for it); latency, pace and
faults (429, 500, hangs, garbled and truncated bodies) are configurable and seeded. See
docs/TESTING.md, "Provider cassettes and the fake server".
"""

from bench.fakellm.background import FakeLLMServer
from bench.fakellm.config import FAULTS, Counters, FakeLLMConfig, Fault
from bench.fakellm.server import FakeLLM

__all__ = ["FAULTS", "Counters", "FakeLLM", "FakeLLMConfig", "FakeLLMServer", "Fault"]
