"""The runs-table filter language: parsing, field names, comparisons, missing values, errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tui.shaping.filter_expr import Filter, FilterError, apply_filter, parse_filter

NAN = float("nan")


@pytest.fixture
def runs() -> pd.DataFrame:
    """Four runs shaped like the store's table, with the awkward cells a real store holds."""
    return pd.DataFrame(
        {
            "run_id": ["a1b2c3", "d4e5f6", "0789ab", "ffee00"],
            "experiment": ["poly-regression", "poly-regression", "forest", "forest"],
            "name": ["rf-baseline", "deg-3", "RF-tuned", "x"],
            "status": ["finished", "failed", "running", "damaged"],
            "created": [1000.0, 2000.0, 3000.0, 4000.0],
            "ended": [1100.0, 2500.0, NAN, NAN],
            "duration": [100.0, 500.0, NAN, NAN],
            "params.degree": pd.Series([2, "3", None, "abc"], dtype=object),
            "params.lr": pd.Series([0.01, 0.1, "1e-3", NAN], dtype=object),
            "params.model.kind": pd.Series(["rf", "linear", None, "rf"], dtype=object),
            "params.use_bn": pd.Series([True, False, None, 1], dtype=object),
            "metrics.mse": [1.5, NAN, 7.0, np.inf],
            "metrics.train/loss": [0.2, 0.5, 0.1, 0.9],
            "metrics.val/loss": [0.3, NAN, 0.05, 1.0],
            "tags.stage": ["baseline", "Final Round", None, "baseline"],
            "tags.note": ["first try", None, "needs rerun", "and or not"],
            "host": ["gpu1", "gpu2", "gpu1", "cpu"],
            "user": ["ana", "bo", "ana", "bo"],
            "reason": [None, "CUDA out of memory", None, "bad json"],
        }
    )


def ids(frame: pd.DataFrame, text: str) -> list[str]:
    return apply_filter(frame, text)["run_id"].tolist()


def error(text: str, columns: pd.Index | list[str]) -> FilterError:
    with pytest.raises(FilterError) as info:
        parse_filter(text, list(columns))
    return info.value


ALL = ["a1b2c3", "d4e5f6", "0789ab", "ffee00"]


# -- the filter object -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_text_matches_every_row(runs: pd.DataFrame, text: str) -> None:
    flt = parse_filter(text, list(runs.columns))
    assert flt.matches_all
    mask = flt.mask(runs)
    assert mask.dtype == bool and mask.shape == (4,) and mask.all()


def test_mask_is_a_bool_array_per_row(runs: pd.DataFrame) -> None:
    flt = parse_filter("mse < 5", list(runs.columns))
    mask = flt.mask(runs)
    assert isinstance(mask, np.ndarray) and mask.dtype == bool
    assert mask.tolist() == [True, False, False, False]
    assert isinstance(flt, Filter) and flt.text == "mse < 5" and not flt.matches_all


def test_filter_is_frozen_and_reusable(runs: pd.DataFrame) -> None:
    flt = parse_filter("status = failed", list(runs.columns))
    with pytest.raises(AttributeError):
        flt.text = "other"  # type: ignore[misc]
    assert flt.mask(runs).tolist() == flt.mask(runs.copy()).tolist()
    assert parse_filter("status = failed", list(runs.columns)) == flt


def test_apply_filter_keeps_columns_and_order(runs: pd.DataFrame) -> None:
    kept = apply_filter(runs, "experiment = forest")
    assert list(kept.columns) == list(runs.columns)
    assert kept["run_id"].tolist() == ["0789ab", "ffee00"]


def test_mask_does_not_change_the_frame(runs: pd.DataFrame) -> None:
    before = runs.copy()
    parse_filter("degree >= 2 and name ~ rf and note ~ rerun or stage != baseline", list(runs.columns)).mask(runs)
    pd.testing.assert_frame_equal(runs, before)


def test_empty_frame_gives_empty_mask(runs: pd.DataFrame) -> None:
    empty = runs.iloc[0:0]
    assert parse_filter("mse < 5 or name ~ rf", empty.columns).mask(empty).shape == (0,)
    assert apply_filter(empty, "degree = 2").empty


def test_mask_on_frame_without_the_column_is_a_filter_error(runs: pd.DataFrame) -> None:
    flt = parse_filter("mse < 5", list(runs.columns))
    with pytest.raises(FilterError, match=r"no column 'metrics\.mse'") as info:
        flt.mask(runs.drop(columns=["metrics.mse"]))
    assert info.value.position == 0


# -- free text ---------------------------------------------------------------------------


def test_free_text_is_case_insensitive_substring_of_name(runs: pd.DataFrame) -> None:
    assert ids(runs, "rf") == ["a1b2c3", "0789ab"]
    assert ids(runs, "TUNED") == ["0789ab"]


def test_free_text_searches_experiment_run_id_and_tags(runs: pd.DataFrame) -> None:
    assert ids(runs, "regression") == ["a1b2c3", "d4e5f6"]
    assert ids(runs, "e5f") == ["d4e5f6"]
    assert ids(runs, "final") == ["d4e5f6"]
    assert ids(runs, "rerun") == ["0789ab"]


def test_free_text_ignores_params_and_other_columns(runs: pd.DataFrame) -> None:
    assert ids(runs, "linear") == []
    assert ids(runs, "gpu") == []
    assert ids(runs, "memory") == []


def test_free_text_words_must_all_match(runs: pd.DataFrame) -> None:
    assert ids(runs, "rf baseline") == ["a1b2c3"]
    assert ids(runs, "forest rf") == ["0789ab"]
    assert ids(runs, "rf nothing-like-this") == []


def test_free_text_quoted_phrase_keeps_its_spaces(runs: pd.DataFrame) -> None:
    assert ids(runs, '"final round"') == ["d4e5f6"]
    assert ids(runs, "'first try'") == ["a1b2c3"]
    assert ids(runs, '"round final"') == []
    assert ids(runs, "round final") == ["d4e5f6"]


def test_free_text_is_literal_not_regex(runs: pd.DataFrame) -> None:
    assert ids(runs, "rf.") == []
    assert ids(runs, "rf-") == ["a1b2c3", "0789ab"]


def test_quoted_keywords_are_searched_as_words(runs: pd.DataFrame) -> None:
    assert ids(runs, '"and"') == ["ffee00"]
    assert ids(runs, "'or' 'not'") == ["ffee00"]


def test_free_text_does_not_mix_with_expressions(runs: pd.DataFrame) -> None:
    assert ids(runs, "name ~ rf and mse < 5") == ["a1b2c3"]
    assert ids(runs, "not rf") == ["d4e5f6", "ffee00"]
    for text, position in (("rf and mse < 5", 0), ("mse > 5 rf", 8), ("mse < 1 and deg", 12)):
        with pytest.raises(FilterError) as err:
            parse_filter(text, list(runs.columns))
        assert err.value.position == position and "not a comparison" in err.value.message


# -- comparison operators ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mse = 1.5", ["a1b2c3"]),
        ("mse == 1.5", ["a1b2c3"]),
        ("mse != 1.5", ["d4e5f6", "0789ab", "ffee00"]),
        ("mse < 7", ["a1b2c3"]),
        ("mse <= 7", ["a1b2c3", "0789ab"]),
        ("mse > 7", ["ffee00"]),
        ("mse >= 7", ["0789ab", "ffee00"]),
        ("mse > 1.5", ["0789ab", "ffee00"]),
        ("mse >= 1.5", ["a1b2c3", "0789ab", "ffee00"]),
    ],
)
def test_numeric_operators(runs: pd.DataFrame, text: str, expected: list[str]) -> None:
    assert ids(runs, text) == expected


@pytest.mark.parametrize(
    "text",
    ["mse<7", "mse <7", "mse< 7", "  mse   <   7  "],
)
def test_spaces_around_operators_are_optional(runs: pd.DataFrame, text: str) -> None:
    assert ids(runs, text) == ["a1b2c3"]


def test_operators_without_spaces_all_tokenize(runs: pd.DataFrame) -> None:
    assert ids(runs, "degree>=3") == ["d4e5f6"]
    assert ids(runs, "status!=failed") == ["a1b2c3", "0789ab", "ffee00"]
    assert ids(runs, "name!~rf") == ["d4e5f6", "ffee00"]
    assert ids(runs, "status==running") == ["0789ab"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("status = failed", ["d4e5f6"]),
        ("status == FAILED", ["d4e5f6"]),
        ("status != failed", ["a1b2c3", "0789ab", "ffee00"]),
        ("name < e", ["d4e5f6"]),
        ("name <= deg-3", ["d4e5f6"]),
        ("name > rf-baseline", ["0789ab", "ffee00"]),
        ("name >= rf-baseline", ["a1b2c3", "0789ab", "ffee00"]),
    ],
)
def test_text_operators_are_case_insensitive(runs: pd.DataFrame, text: str, expected: list[str]) -> None:
    assert ids(runs, text) == expected


def test_number_formats(runs: pd.DataFrame) -> None:
    assert ids(runs, "lr <= 1e-3") == ["0789ab"]
    assert ids(runs, "lr < 1E-2") == ["0789ab"]
    assert ids(runs, "mse > -1.5") == ["a1b2c3", "0789ab", "ffee00"]
    assert ids(runs, "mse = inf") == ["ffee00"]
    assert ids(runs, "mse < inf") == ["a1b2c3", "0789ab"]
    assert ids(runs, "mse > -inf") == ["a1b2c3", "0789ab", "ffee00"]
    assert ids(runs, "created >= 2e3") == ["d4e5f6", "0789ab", "ffee00"]


# -- regex -------------------------------------------------------------------------------


def test_regex_search_is_case_insensitive(runs: pd.DataFrame) -> None:
    assert ids(runs, "name ~ rf-") == ["a1b2c3", "0789ab"]
    assert ids(runs, "name ~ '^rf-t'") == ["0789ab"]
    assert ids(runs, r"name ~ ^deg-\d$") == ["d4e5f6"]
    assert ids(runs, "name =~ tuned") == ["0789ab"]


def test_regex_negation_keeps_missing_cells(runs: pd.DataFrame) -> None:
    assert ids(runs, "name !~ rf") == ["d4e5f6", "ffee00"]
    assert ids(runs, "reason ~ memory") == ["d4e5f6"]
    assert ids(runs, "reason !~ memory") == ["a1b2c3", "0789ab", "ffee00"]


def test_regex_with_groups_and_alternation_does_not_warn(runs: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ids(runs, "name ~ '^(rf|x)(-|$)'") == ["a1b2c3", "0789ab", "ffee00"]
        assert ids(runs, "stage ~ 'base|round'") == ["a1b2c3", "d4e5f6", "ffee00"]


def test_regex_on_numbers_searches_their_text(runs: pd.DataFrame) -> None:
    assert ids(runs, r"mse ~ ^1\.5$") == ["a1b2c3"]
    assert ids(runs, "degree ~ '^[0-9]+$'") == ["a1b2c3", "d4e5f6"]


# -- and / or / not ----------------------------------------------------------------------


def test_and_binds_tighter_than_or(runs: pd.DataFrame) -> None:
    # status = failed or (experiment = forest and mse > 5)
    assert ids(runs, "status = failed or experiment = forest and mse > 5") == ["d4e5f6", "0789ab", "ffee00"]
    assert ids(runs, "experiment = forest and mse > 5 or status = failed") == ["d4e5f6", "0789ab", "ffee00"]
    assert ids(runs, "status = failed or status = running and mse > 100") == ["d4e5f6"]


def test_parentheses_override_precedence(runs: pd.DataFrame) -> None:
    assert ids(runs, "(status = failed or status = running) and mse > 5") == ["0789ab"]
    assert ids(runs, "((status = failed) or (status = running)) and ((mse > 5))") == ["0789ab"]


def test_not_binds_tightest(runs: pd.DataFrame) -> None:
    # (not status = failed) and experiment = poly-regression
    assert ids(runs, "not status = failed and experiment = poly-regression") == ["a1b2c3"]
    assert ids(runs, "not (status = failed and experiment = poly-regression)") == [
        "a1b2c3",
        "0789ab",
        "ffee00",
    ]
    assert ids(runs, "not not status = failed") == ["d4e5f6"]
    assert ids(runs, "not status = failed or status = failed") == ALL


def test_keywords_are_case_insensitive(runs: pd.DataFrame) -> None:
    assert ids(runs, "status = failed OR status = running AND NOT mse > 100") == ["d4e5f6", "0789ab"]


def test_side_by_side_terms_mean_and(runs: pd.DataFrame) -> None:
    assert ids(runs, "experiment = forest mse > 5") == ids(runs, "experiment = forest and mse > 5")
    assert ids(runs, "(status = failed) (experiment = poly-regression)") == ["d4e5f6"]


# -- field names -------------------------------------------------------------------------


def test_short_names(runs: pd.DataFrame) -> None:
    assert ids(runs, "mse < 5") == ids(runs, "metrics.mse < 5") == ["a1b2c3"]
    assert ids(runs, "degree = 2") == ids(runs, "params.degree = 2") == ["a1b2c3"]
    assert ids(runs, "stage = baseline") == ids(runs, "tags.stage = baseline") == ["a1b2c3", "ffee00"]


def test_short_names_are_case_insensitive_after_exact_ones(runs: pd.DataFrame) -> None:
    assert ids(runs, "MSE < 5") == ["a1b2c3"]
    assert ids(runs, "Status = failed") == ["d4e5f6"]


def test_last_part_of_a_dotted_key_is_a_short_name(runs: pd.DataFrame) -> None:
    assert ids(runs, "kind = linear") == ids(runs, "model.kind = linear") == ["d4e5f6"]


def test_keys_with_slashes(runs: pd.DataFrame) -> None:
    assert ids(runs, "metrics.train/loss < 0.25") == ["a1b2c3", "0789ab"]
    assert ids(runs, "train/loss < 0.25") == ["a1b2c3", "0789ab"]
    assert ids(runs, "val/loss >= 0.3") == ["a1b2c3", "ffee00"]


def test_quoted_field_name(runs: pd.DataFrame) -> None:
    assert ids(runs, '"tags.stage" = baseline') == ["a1b2c3", "ffee00"]
    frame = pd.DataFrame({"run_id": ["a", "b"], "tags.my key": ["x y", "z"]})
    assert ids(frame, "'my key' = 'x y'") == ["a"]


def test_full_name_wins_over_a_short_one() -> None:
    frame = pd.DataFrame({"run_id": ["a", "b"], "status": ["failed", "finished"], "tags.status": ["x", "failed"]})
    assert ids(frame, "status = failed") == ["a"]
    assert ids(frame, "tags.status = failed") == ["b"]


def test_ambiguous_short_name_lists_the_columns(runs: pd.DataFrame) -> None:
    err = error("loss < 1", runs.columns)
    assert err.message == (
        "ambiguous field 'loss' — it could be metrics.train/loss, metrics.val/loss; write the full name"
    )
    assert err.position == 0


def test_same_key_in_two_families_is_ambiguous() -> None:
    columns = ["run_id", "metrics.mse", "params.lr", "metrics.lr"]
    err = error("mse < 1 and lr > 0", columns)
    assert "ambiguous field 'lr'" in err.message
    assert "params.lr" in err.message and "metrics.lr" in err.message
    assert err.position == 12


def test_field_name_with_dashes_and_underscores() -> None:
    frame = pd.DataFrame({"run_id": ["a", "b"], "metrics.top-1_acc": [0.9, 0.5]})
    assert ids(frame, "top-1_acc > 0.8") == ["a"]


# -- params: numbers, strings, booleans --------------------------------------------------


def test_params_compare_numerically_whether_int_or_string(runs: pd.DataFrame) -> None:
    assert ids(runs, "degree >= 2") == ["a1b2c3", "d4e5f6"]
    assert ids(runs, "degree = 3") == ["d4e5f6"]
    assert ids(runs, "degree = 3.0") == ["d4e5f6"]
    assert ids(runs, "degree < 10") == ["a1b2c3", "d4e5f6"]
    assert ids(runs, "lr < 0.05") == ["a1b2c3", "0789ab"]


def test_non_numeric_params_never_order_against_numbers(runs: pd.DataFrame) -> None:
    assert "ffee00" not in ids(runs, "degree > 0")
    assert "ffee00" not in ids(runs, "degree < 0")
    assert "ffee00" in ids(runs, "degree != 2")


def test_params_text_comparison(runs: pd.DataFrame) -> None:
    assert ids(runs, "degree = abc") == ["ffee00"]
    assert ids(runs, "degree = ABC") == ["ffee00"]
    assert ids(runs, "kind = rf") == ["a1b2c3", "ffee00"]


def test_quoting_a_number_asks_for_text(runs: pd.DataFrame) -> None:
    assert ids(runs, "lr = 0.010") == ["a1b2c3"]
    assert ids(runs, 'lr = "0.010"') == []
    assert ids(runs, 'lr = "0.01"') == ["a1b2c3"]
    assert ids(runs, 'degree = "3"') == ["d4e5f6"]


def test_booleans_compare_as_text_not_numbers(runs: pd.DataFrame) -> None:
    assert ids(runs, "use_bn = true") == ["a1b2c3"]
    assert ids(runs, "use_bn = False") == ["d4e5f6"]
    assert ids(runs, "use_bn = 1") == ["ffee00"]


def test_quoted_number_on_a_metric_is_still_a_number(runs: pd.DataFrame) -> None:
    assert ids(runs, 'mse < "5"') == ["a1b2c3"]


# -- missing values ----------------------------------------------------------------------


def test_missing_cells_match_no_comparison(runs: pd.DataFrame) -> None:
    assert "d4e5f6" not in ids(runs, "mse < 1000")
    assert "d4e5f6" not in ids(runs, "mse >= -inf")
    assert "0789ab" not in ids(runs, "degree < 100")
    assert "0789ab" not in ids(runs, "stage < zzz")
    assert "0789ab" not in ids(runs, "stage ~ .")


def test_not_equal_is_the_negation_of_equal(runs: pd.DataFrame) -> None:
    assert ids(runs, "mse != 1.5") == ids(runs, "not mse = 1.5") == ["d4e5f6", "0789ab", "ffee00"]
    assert ids(runs, "stage != baseline") == ids(runs, "not stage = baseline") == ["d4e5f6", "0789ab"]
    assert ids(runs, "not mse < 5") == ["d4e5f6", "0789ab", "ffee00"]


def test_nan_finds_missing_and_present(runs: pd.DataFrame) -> None:
    assert ids(runs, "mse = nan") == ["d4e5f6"]
    assert ids(runs, "mse != nan") == ["a1b2c3", "0789ab", "ffee00"]
    assert ids(runs, "stage = nan") == ["0789ab"]
    assert ids(runs, "degree = NaN") == ["0789ab"]
    assert ids(runs, "ended = nan") == ["0789ab", "ffee00"]


def test_quoted_nan_is_text(runs: pd.DataFrame) -> None:
    assert ids(runs, 'stage = "nan"') == []


def test_none_params_are_missing_not_the_text_none(runs: pd.DataFrame) -> None:
    assert ids(runs, "kind = None") == []
    assert ids(runs, "kind ~ none") == []


# -- safety ------------------------------------------------------------------------------


def test_text_is_never_executed(runs: pd.DataFrame) -> None:
    assert ids(runs, "name = \"__import__('os').system('false')\"") == []
    assert ids(runs, "__import__") == []


# -- errors ------------------------------------------------------------------------------


def test_filter_error_is_a_value_error_with_message_and_position() -> None:
    err = FilterError("something is wrong", 3)
    assert isinstance(err, ValueError)
    assert str(err) == err.message == "something is wrong"
    assert err.position == 3
    assert FilterError("no place").position is None


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("mse2 < 3", "unknown field 'mse2' — did you mean metrics.mse?", 0),
        ("mse < 3 and degre > 1", "unknown field 'degre' — did you mean params.degree?", 12),
        ("zzzz = 1", "unknown field 'zzzz'", 0),
        ("metrics.msee < 1", "unknown field 'metrics.msee' — did you mean metrics.mse?", 0),
        ("mse <", "expected a value after '<'", 5),
        ("mse >=  ", "expected a value after '>='", 8),
        ("mse < and degree = 2", "expected a value after '<'", 6),
        ("mse < (3)", "expected a value after '<'", 6),
        ("(mse < 3", "unbalanced parenthesis at 0: no ')' closes it", 0),
        ("(mse < 3) and (degree > 1", "unbalanced parenthesis at 14: no ')' closes it", 14),
        ("mse < 3)", "unbalanced parenthesis at 7: no '(' before it", 7),
        ("(mse < 3))", "unbalanced parenthesis at 9: no '(' before it", 9),
        (")", "unbalanced parenthesis at 0: no '(' before it", 0),
        ("mse < 3 (", "unbalanced parenthesis at 8: nothing after '('", 8),
        ("()", "empty parentheses at 0", 0),
        ("< 3", "expected a field name before '<'", 0),
        ("(= 3)", "expected a field name before '='", 1),
        ("and mse < 3", "expected a condition before 'and'", 0),
        ("mse < 3 and", "expected a condition after 'and'", 11),
        ("mse < 3 or", "expected a condition after 'or'", 10),
        ("mse < 3 or )", "expected a condition after 'or'", 11),
        ("not", "expected a condition after 'not'", 3),
        ("mse < 3 and not", "expected a condition after 'not'", 15),
        ("mse < 3 < 4", "unexpected '<' at 8 — join comparisons with 'and'", 8),
        ("mse < abc", "metrics.mse holds numbers; 'abc' is not a number", 6),
        ("duration > long", "duration holds numbers; 'long' is not a number", 11),
        ("mse < nan", "nan has no order; use 'metrics.mse = nan' for runs without it, '!= nan' for runs with it", 6),
        ("name ! x", "unexpected '!' at 5 — did you mean '!=' or '!~'?", 5),
        ('name = "abc', 'missing closing " for the text quoted at 7', 7),
        ("name = 'abc", "missing closing ' for the text quoted at 7", 7),
    ],
)
def test_error_messages_and_positions(runs: pd.DataFrame, text: str, message: str, position: int) -> None:
    err = error(text, runs.columns)
    assert err.message == message
    assert err.position == position


def test_invalid_regex_points_into_the_pattern(runs: pd.DataFrame) -> None:
    err = error("name ~ '[ab'", runs.columns)
    assert err.message.startswith("invalid regular expression '[ab': unterminated character set")
    assert err.position == 8
    err = error("name ~ 'ab)'", runs.columns)
    assert "unbalanced parenthesis" in err.message
    assert err.position == 10
    err = error("name !~ *x", runs.columns)
    assert err.message.startswith("invalid regular expression '*x': nothing to repeat")
    assert err.position == 8


def test_several_suggestions_are_offered() -> None:
    err = error("los < 1", ["run_id", "metrics.loss", "metrics.lost"])
    assert err.message == "unknown field 'los' — did you mean metrics.loss or metrics.lost?"


def test_positions_can_mark_the_text(runs: pd.DataFrame) -> None:
    text = "status = failed and mse2 < 3"
    err = error(text, runs.columns)
    assert err.position is not None and text[err.position :].startswith("mse2")


def test_long_filters_do_not_hit_the_recursion_limit(runs: pd.DataFrame) -> None:
    assert ids(runs, " ".join(["rf"] * 1200)) == ["a1b2c3", "0789ab"]
    assert ids(runs, " or ".join(["status = failed"] * 1200)) == ["d4e5f6"]


def test_absurd_nesting_is_a_filter_error(runs: pd.DataFrame) -> None:
    err = error("(" * 5000 + "rf" + ")" * 5000, runs.columns)
    assert err.message == "the filter nests parentheses or 'not' too deeply"
    assert err.position is None
    assert ids(runs, "(" * 50 + "not " * 50 + "rf" + ")" * 50) == ["a1b2c3", "0789ab"]
