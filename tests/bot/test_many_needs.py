"""Several needs in one text: every need she named is seen, the urgent one goes first."""

import pytest

from actions.needs import first_need, needs_in, other_needs, urgent_moud


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        (
            "i need a ride to the clinic and im out of subs tmrw, also daycare for my son",
            ["moud", "childcare", "transportation"],
        ),
        ("necesito transporte y guarderia pa los nenes", ["childcare", "transportation"]),
        ("got kicked out, need housing and food stamps", ["housing", "food_benefits"]),
        ("can u find me a counselor in westfield", ["mental_health"]),
        ("thank you so much", []),
    ],
)
def test_every_need_she_names_is_seen(text: str, needs: list[str]) -> None:
    assert needs_in(text) == needs


@pytest.mark.parametrize(
    "text",
    [
        "im out tmrw and my dr isnt answering",
        "i run out of strips sunday",
        "last dose today and the pharmacy says prior auth",
        "se me acaban las tiras manana",
        "no me quedan tiras",
    ],
)
def test_running_out_of_her_medication_is_urgent(text: str) -> None:
    assert urgent_moud(text)


@pytest.mark.parametrize(
    "text",
    [
        "im out of town next week, can i guest dose",
        "acabo de llegar a holyoke",
        "how do i taper off methadone after the baby",
    ],
)
def test_other_words_are_not_a_supply_gap(text: str) -> None:
    assert not urgent_moud(text)


def test_the_urgent_need_goes_first_and_the_others_follow() -> None:
    text = "i need a ride to the clinic and im out of subs tmrw, also daycare for my son"
    # The NLU may read the ride first; her medication running out cannot wait.
    assert first_need("transportation", text) == "moud"
    assert other_needs("moud", "transportation", text) == ["transportation", "childcare"]
    # Without a gap nothing is reordered.
    calm = "need a ride to my sub doctor and daycare"
    assert first_need("transportation", calm) == "transportation"
    assert other_needs("transportation", "transportation", calm) == ["moud", "childcare"]
    # A need the NLU already narrowed keeps its code.
    assert first_need("moud_methadone", "im out of methadone tmrw and need a ride") == (
        "moud_methadone"
    )
    # Nowhere to sleep tonight goes before food.
    assert first_need("food_benefits", "kicked out tonight, need food and housing") == "housing"
