"""Learning from people's decisions: the audit log and saved states become datasets.

- `export_dataset` (`agentsdk learn export`): supervised pairs (the prompt the model read
  -> the call a person approved or edited), preference pairs (the call a person chose
  over the one the model proposed) and corrected transcripts, as JSON Lines that TRL
  reads, redacted with the SDK's PII rules, split by thread (`agentsdk.learn.export`).
- What becomes a row, and why respond and reject give what they give:
  `agentsdk.learn.rows`. The split: `agentsdk.learn.split`. The redaction:
  `agentsdk.learn.scrub`. The inputs: `agentsdk.learn.sources`.
"""

from __future__ import annotations

from agentsdk.learn.export import ExportSummary, export_dataset

__all__ = ["ExportSummary", "export_dataset"]
