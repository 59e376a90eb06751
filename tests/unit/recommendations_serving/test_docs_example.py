"""docs/recommendations.md's Python example runs, on a shop where the grinder is bought with the beans."""

from __future__ import annotations

import re
from pathlib import Path

from tests.unit.recommendations_serving.shop import Shop

PAGE = Path(__file__).resolve().parents[3] / "docs" / "recommendations.md"


def test_the_template_example_runs():
    (example,) = re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.S)
    shop = Shop()
    shop.products("beans-1kg", "grinder-2")
    shop.contact("ann")
    shop.lists("boughtTogether", "beans-1kg", "grinder-2")
    exec(compile(example, str(PAGE), "exec"), {"ports": shop.ports})
