"""Knowledge editing of the world model: causal tracing, ROME, MEMIT and the CounterFact metrics.

The ``edit`` challenge kind calls :func:`apply_edits`, :func:`edit_metrics` and :func:`fact_recall`.
"""

from interpctf.editing.api import Method, apply_edits, random_edits
from interpctf.editing.lm import EditResult, edit
from interpctf.editing.evaluate import edit_metrics, generation_entropy
from interpctf.editing.memit import MemitParams
from interpctf.editing.rome import RomeParams
from interpctf.editing.targets import Edit, TargetParams
from interpctf.editing.tracing import TraceResult, causal_trace, plot_trace, trace_record
from interpctf.nets.tiny_gpt_eval import fact_recall

__all__ = ["Edit", "EditResult", "edit", "MemitParams", "Method", "RomeParams", "TargetParams", "TraceResult",
           "apply_edits", "causal_trace", "edit_metrics", "fact_recall", "generation_entropy", "plot_trace",
           "random_edits", "trace_record"]
