"""URL globs and regexes from the config, compiled with RE2."""

from __future__ import annotations

import pytest
import re2

from scorer.core.patterns import compile_glob, compile_regex


def _hits(glob: str, *paths: str) -> list[str]:
    pattern = compile_glob(glob)
    return [p for p in paths if pattern.search(p)]


def test_a_glob_matches_the_whole_path_not_a_part_of_it() -> None:
    """`/pricing` is that page only: not a page under it, nor one ending in it."""
    assert _hits("/pricing", "/pricing", "/pricing/team", "/en/pricing", "/pricingx") == [
        "/pricing"
    ]


def test_star_is_any_run_of_characters_and_question_mark_one() -> None:
    paths = ("/pricing", "/pricing/team", "/en/pricing", "/blog/a", "/p")
    assert _hits("*/pricing*", *paths) == ["/pricing", "/pricing/team", "/en/pricing"]
    assert _hits("/blog/?", "/blog/a", "/blog/ab", "/blog/") == ["/blog/a"]


def test_star_spans_any_character_even_a_line_break_a_client_put_in_its_path() -> None:
    """A newline in a page path cannot slip a page past a rule (say, careers' minus points)."""
    assert _hits("*/careers*", "/careers\n", "/x\n/careers") == ["/careers\n", "/x\n/careers"]
    assert _hits("/a?b", "/a\nb") == ["/a\nb"]


@pytest.mark.parametrize("glob", [".*", "/blog/.*", "(.*)", "[a-z/]+", "/a|.*"])
def test_regex_syntax_in_a_glob_is_literal_so_it_cannot_match_every_page(glob: str) -> None:
    assert _hits(glob, "/pricing", "/blog/a", "/", "") == []
    assert _hits(glob, glob) == [glob]


def test_a_regex_from_the_config_searches_the_url_and_anchors_when_it_says_so() -> None:
    anywhere = compile_regex(r"/docs/v\d+/")
    assert anywhere.search("https://site.example/docs/v2/intro")
    anchored = compile_regex(r"^https://site\.example/docs/")
    assert not anchored.search("https://evil.example/?u=https://site.example/docs/")


@pytest.mark.parametrize("regex", [r"(a)\1", r"(?=pricing)", r"(?<!x)y", "[unclosed"])
def test_a_regex_re2_cannot_run_in_linear_time_or_at_all_is_refused(regex: str) -> None:
    """Backreferences and lookarounds (the backtracking kind) never compile."""
    with pytest.raises(re2.error):
        compile_regex(regex)


def test_a_nested_quantifier_runs_in_linear_time_on_a_hostile_url() -> None:
    """`(a+)+$` on a long run of `a` and a final `b`: a backtracking engine never returns."""
    pattern = compile_regex(r"(a+)+$")
    assert pattern.search("a" * 200_000 + "b") is None
    assert pattern.search("b" + "a" * 200_000)
