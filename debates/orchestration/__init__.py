"""The debate pipeline: stages run in order by the engine, over a DebateState."""
