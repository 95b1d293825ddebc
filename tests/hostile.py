"""Texts that once took minutes or hours to parse, each built to a given size.

The tests parse each at 10 MB and check the result (tests/test_formats.py);
bench/parse.py times each at two sizes, to show the cost grows linearly.
"""
from builder import arbiter_prompt

MODELS = ["stub-a", "stub-b", "stub-c", "stub-d", "stub-e"]


def iterations_filling(size, lines, synthesis):
    """How many history iterations of these lines fit in size characters (at least one)."""
    one_iteration = len(arbiter_prompt("Q?", [], [(lines, synthesis)])) - len(arbiter_prompt("Q?", []))
    return max(1, size // one_iteration)


def unclosed_synthesis_tags(size):
    """An arbiter answer of nothing but `<synthesis>`."""
    return "<synthesis>" * (size // len("<synthesis>"))


def member_tags_without_a_response(size):
    block = "</model><confidence>x"
    return (
        "<arbiter_prompt><original_prompt>Q</original_prompt><model_responses><model_response><model>a"
        + block * (size // len(block))
        + "</response></model_response></model_responses><iteration_history></iteration_history></arbiter_prompt>"
    )


def dense_valid_prompt(size):
    """A valid prompt, each history line a quote of its own: the most quotes `size` can hold.

    (iterations, lines per iteration) of the result: 5,000 lines an iteration.
    """
    lines = [(MODELS[i % 5], f"t{i}") for i in range(5000)]
    iterations = iterations_filling(size, lines, "synthesis 0")
    history = [(lines, f"synthesis {n}") for n in range(iterations)]
    return arbiter_prompt("Q?", [(m, "answer " + m) for m in MODELS], history), iterations


def nested_original_prompts(size):
    """Each `</original_prompt><model_responses>` a place where the original prompt may end."""
    block = "<original_prompt></original_prompt><model_responses>"
    return "<arbiter_prompt><original_prompt>" + block * (size // len(block))


def many_model_names(size):
    """Ten thousand model names, and as many history lines of half of them as `size` holds:
    each line read against every name took minutes at a few megabytes."""
    models = [f"model-{i}" for i in range(10_000)]
    lines = [(models[i], "x") for i in range(0, 10_000, 2)]
    base = arbiter_prompt("Q?", [(m, "y") for m in models])
    iterations = iterations_filling(size - len(base), lines, "s")
    return arbiter_prompt("Q?", [(m, "y") for m in models], [(lines, "s")] * iterations)
