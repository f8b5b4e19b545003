"""Which way is better for a metric: lower for `loss`, `error`, `mse`…, higher for `acc`, `f1`…

Read from the metric's name (words split on punctuation and camelCase, the last word that
says wins), overridden by the user per metric (`f` in the diff flips it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Direction = Literal["lower", "higher"]

LOWER_IS_BETTER = frozenset(
    {
        "loss",
        "error",
        "errors",
        "err",
        "mse",
        "mae",
        "rmse",
        "rmsle",
        "mape",
        "smape",
        "perplexity",
        "ppl",
        "time",
        "latency",
        "duration",
        "seconds",
        "secs",
        "sec",
        "ms",
        "wer",
        "cer",
        "ter",
        "nll",
        "kl",
        "kld",
        "regret",
        "cost",
        "fid",
        "kid",
        "distance",
        "dist",
        "eer",
        "fpr",
        "fnr",
        "lpips",
        "bpd",
        "bpc",
        "memory",
        "mem",
        "bytes",
        "diverged",
        "epe",
    }
)
HIGHER_IS_BETTER = frozenset(
    {
        "acc",
        "accuracy",
        "f1",
        "fscore",
        "auc",
        "auroc",
        "auprc",
        "roc",
        "precision",
        "prec",
        "recall",
        "r2",
        "bleu",
        "rouge",
        "rouge1",
        "rouge2",
        "rougel",
        "meteor",
        "chrf",
        "map",
        "iou",
        "miou",
        "dice",
        "top1",
        "top5",
        "score",
        "reward",
        "rewards",
        "return",
        "returns",
        "psnr",
        "ssim",
        "throughput",
        "tpr",
        "sensitivity",
        "specificity",
        "ndcg",
        "mrr",
        "hit",
        "hits",
        "hitrate",
        "kappa",
        "mcc",
        "spearman",
        "pearson",
        "corr",
        "em",
        "exact",
        "success",
        "win",
        "winrate",
        "elo",
    }
)
_TIME_UNITS = frozenset(
    {"s", "sec", "secs", "second", "seconds", "ms", "min", "minute", "hour", "step", "steps", "epoch", "iter", "it"}
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def infer_direction(metric: str) -> Direction | None:
    """'lower' or 'higher' is better for a metric name, or None when the name does not say.

    The name is split into words (`val/top1_acc` -> val, top1, acc; camelCase too) and read
    from the last word back, since the measure usually ends the name (`error_rate` -> error).
    A rate per time unit (`samples_per_sec`) is a throughput: higher is better.
    """
    words = [w for w in re.split(r"[^a-z0-9]+", metric.lower()) if w]
    if "per" in words and words.index("per") + 1 < len(words) and words[words.index("per") + 1] in _TIME_UNITS:
        return "higher"
    camel = [w.lower() for part in re.split(r"[^A-Za-z0-9]+", metric) for w in _CAMEL.split(part) if w]
    for word in [*reversed(words), *reversed(camel)]:
        if word in LOWER_IS_BETTER:
            return "lower"
        if word in HIGHER_IS_BETTER:
            return "higher"
    return None


def effective_direction(metric: str, overrides: Mapping[str, Direction | None] | None = None) -> Direction | None:
    """The direction used for `metric`: the user's override if there is one, else the guess."""
    if overrides and metric in overrides:
        return overrides[metric]
    return infer_direction(metric)


def flip_direction(metric: str, overrides: Mapping[str, Direction | None] | None = None) -> Direction | None:
    """The direction after one press of "flip": lower <-> higher; a metric with no guess
    goes none -> lower -> higher -> none, so its colouring can be switched off again."""
    current = effective_direction(metric, overrides)
    if infer_direction(metric) is None:
        return {None: "lower", "lower": "higher", "higher": None}[current]
    return "higher" if current == "lower" else "lower"
