"""Domain logic the routes share: loading and deleting rows, admitting instances, the
list filter/sort/page block. Routes parse, authorize, call these and shape the answer;
they never import one another."""
