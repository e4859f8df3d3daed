"""Route templates: compilation, constraints, precedence, methods."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from funcbind.host.routes import (
    CONSTRAINTS,
    MethodNotAllowed,
    RouteError,
    RouteMatch,
    Router,
    compile_route,
)


def values(template: str, path: str, prefix: str = "api") -> dict[str, str] | None:
    return compile_route(template, prefix=prefix).match(path)


def test_literal_route_is_case_insensitive_and_ignores_a_trailing_slash() -> None:
    assert values("hello", "/api/hello") == {}
    assert values("hello", "/API/Hello/") == {}
    assert values("hello", "/api/hello/x") is None
    assert values("hello", "/hello") is None


def test_parameters_optional_and_defaults() -> None:
    template = "products/{category:alpha}/{id:int?}"
    assert values(template, "/api/products/shoes") == {"category": "shoes"}
    assert values(template, "/api/products/shoes/42") == {"category": "shoes", "id": "42"}
    assert values(template, "/api/products/shoes/x") is None  # constraint fails: no match
    assert values(template, "/api/products/sh0es/1") is None
    assert values("page/{n:int=5}", "/api/page") == {"n": "5"}
    assert values("page/{n:int=5}", "/api/page/7") == {"n": "7"}
    assert values("{a=x}/{b?}", "/api") == {"a": "x"}
    assert values("{a=x}/{b?}", "/api/y/z") == {"a": "y", "b": "z"}


def test_catch_all_takes_the_rest_of_the_path() -> None:
    assert values("files/{*path}", "/api/files/a/b/c.txt") == {"path": "a/b/c.txt"}
    assert values("files/{*path}", "/api/files") == {}
    assert values("files/{**path}", "/api/files/x") == {"path": "x"}


def test_complex_segments_split_at_the_last_literal() -> None:
    assert values("{name}.{ext}", "/api/report.tar.gz") == {"name": "report.tar", "ext": "gz"}
    assert values("v{version:int}/items", "/api/v2/items") == {"version": "2"}
    assert values("v{version:int}/items", "/api/vx/items") is None


def test_empty_prefix_and_empty_template() -> None:
    assert values("hello", "/hello", prefix="") == {}
    assert values("", "/api") == {}
    assert values("", "/", prefix="") == {}
    assert values("/hello/", "/api/hello") == {}  # slashes around the template are ignored


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        ("int", ["0", "-5", "+7", "2147483647", "-2147483648"], ["2147483648", "1.5", "x", "٣"]),
        ("long", ["9223372036854775807", "-9223372036854775808"], ["9223372036854775808", "1e3"]),
        ("alpha", ["abc", "ABC"], ["ab1", "é", "a-b"]),
        ("bool", ["true", "False", "TRUE"], ["yes", "1", "truee"]),
        (
            "guid",
            [
                "0f8fad5b-d9cb-469f-a165-70867728950e",
                "0f8fad5bd9cb469fa16570867728950e",
                "{0f8fad5b-d9cb-469f-a165-70867728950e}",
                "(0F8FAD5B-D9CB-469F-A165-70867728950E)",
            ],
            [
                "0f8fad5b-d9cb-469f-a165-70867728950",
                "{0f8fad5b-d9cb-469f-a165-70867728950e)",
                "g" * 32,
            ],
        ),
        (
            "datetime",
            [
                "2024-01-02",
                "2024-01-02T03:04:05",
                "2024-01-02T03:04:05.1234567Z",
                "2024-01-02 03:04:05",
            ],
            ["2024-13-01", "2024-02-30", "yesterday", "2024-01-02T25:00:00"],
        ),
        ("decimal", ["1", "-1.5", ".5", "79228162514264337593543950335"], ["1e3", "x", "1.2.3"]),
        ("double", ["1", "-1.5e10", "NaN", "-Infinity", ".5"], ["1e", "x", "0x10", "1..2"]),
        ("float", ["3.14", "1E-3"], ["pi"]),
    ],
)
def test_constraints(constraint: str, good: list[str], bad: list[str]) -> None:
    route = compile_route(f"t/{{v:{constraint}}}", prefix="api")
    for value in good:
        assert route.match(f"/api/t/{value}") == {"v": value}, value
    for value in bad:
        assert route.match(f"/api/t/{value}") is None, value


def test_constraints_with_arguments_and_chains() -> None:
    assert values("n/{v:int:min(1)}", "/api/n/1") == {"v": "1"}
    assert values("n/{v:int:min(1)}", "/api/n/0") is None
    assert values("n/{v:range(1,3)}", "/api/n/4") is None
    assert values("n/{v:max(3)}", "/api/n/3") == {"v": "3"}
    assert values("s/{v:length(2)}", "/api/s/ab") == {"v": "ab"}
    assert values("s/{v:length(2,3)}", "/api/s/abcd") is None
    assert values("s/{v:minlength(2)}", "/api/s/a") is None
    assert values("s/{v:maxlength(2)}", "/api/s/abc") is None
    assert values("r/{v:regex(^\\d{{3}}$)}", "/api/r/123") == {"v": "123"}
    assert values("r/{v:regex(^\\d{{3}}$)}", "/api/r/1234") is None


@given(st.integers(min_value=-(2**40), max_value=2**40))
def test_int_constraint_is_the_int32_range(number: int) -> None:
    accepted = CONSTRAINTS["int"](str(number))
    assert accepted == (-(2**31) <= number < 2**31)


@given(st.text(max_size=40))
def test_matching_never_raises(text: str) -> None:
    router = Router(
        compile_route(t, prefix="api", target=t)
        for t in ("a/{x:int}", "a/{x:datetime}", "b/{*rest}", "{n:guid}", "c/{d:decimal?}")
    )
    router.match("GET", "/api/" + text)


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{a?}/b", "must be the last segment"),
        ("{*a}/b", "catch-all {*a} must be the last segment"),
        ("{a}{b}", "need literal text between them"),
        ("{a:foo}", "unknown constraint 'foo'"),
        ("a//b", "empty segment"),
        ("{a", "without a matching"),
        ("a}", "unmatched"),
        ("{id:int=x}", "fails its own constraint"),
        ("{a}/{A}", "appears more than once"),
        ("{x:min(a)}", "expected whole numbers"),
        ("{x:regex([)}", "not a valid pattern"),
        ("x{a?}", "must be a whole segment"),
        ("{*a?}", "already optional"),
    ],
)
def test_template_errors_name_the_problem(template: str, message: str) -> None:
    with pytest.raises(RouteError, match="route") as info:
        compile_route(template)
    assert message in str(info.value)
    assert repr(template) in str(info.value)


def test_router_prefers_literals_then_constraints_then_parameters() -> None:
    router = Router(
        [
            compile_route("items/{name}", prefix="api", target="plain"),
            compile_route("items/{id:int}", prefix="api", target="int"),
            compile_route("items/new", prefix="api", target="literal"),
            compile_route("items/{*rest}", prefix="api", target="catch-all"),
        ]
    )

    def target(path: str) -> object:
        found = router.match("GET", path)
        assert isinstance(found, RouteMatch)
        return found.route.target

    assert target("/api/items/new") == "literal"
    assert target("/api/items/7") == "int"
    assert target("/api/items/x") == "plain"
    assert target("/api/items/x/y") == "catch-all"
    assert router.match("GET", "/api/other") is None


def test_router_answers_method_not_allowed_with_the_allowed_methods() -> None:
    router = Router(
        [
            compile_route("thing", prefix="api", methods=["get"], target="get"),
            compile_route("thing", prefix="api", methods=["post", "put"], target="post"),
            compile_route("any", prefix="api", target="any"),
        ]
    )
    found = router.match("DELETE", "/api/thing")
    assert found == MethodNotAllowed(("GET", "POST", "PUT"))
    post = router.match("POST", "/api/thing")
    assert isinstance(post, RouteMatch)
    assert post.route.target == "post"
    assert isinstance(router.match("PATCH", "/api/any"), RouteMatch)


def test_a_method_mismatch_falls_through_to_a_less_specific_route() -> None:
    router = Router(
        [
            compile_route("items/{id:int}", prefix="api", methods=["GET"], target="get-int"),
            compile_route("items/{name}", prefix="api", methods=["POST"], target="post-any"),
        ]
    )
    found = router.match("POST", "/api/items/5")
    assert isinstance(found, RouteMatch)
    assert found.route.target == "post-any"
