"""The schema of a running graph: node labels, relationship types, properties, counts."""

from __future__ import annotations

from pydantic import Field

from graph_olap.models.common import APIModel

__all__ = ["GraphProperty", "GraphSchema", "NodeLabelSchema", "RelationshipTypeSchema"]


class GraphProperty(APIModel):
    """One property of a node label or relationship type."""

    name: str
    type: str


class NodeLabelSchema(APIModel):
    """A node label: its primary key, properties and number of nodes."""

    label: str
    primary_key: GraphProperty | None = None
    properties: list[GraphProperty] = Field(default_factory=list)
    count: int | None = None


class RelationshipTypeSchema(APIModel):
    """A relationship type: the labels it connects, its properties and count."""

    type: str
    from_node: str | None = Field(default=None, alias="from")
    to_node: str | None = Field(default=None, alias="to")
    properties: list[GraphProperty] = Field(default_factory=list)
    count: int | None = None


class GraphSchema(APIModel):
    """What ``conn.schema()`` returns.

    Example:
        >>> schema = conn.schema()
        >>> {n.label: n.count for n in schema.node_labels}
        {'Customer': 200, 'Account': 350}
        >>> schema.relationship_types[0].from_node
        'Customer'
    """

    node_labels: list[NodeLabelSchema] = Field(default_factory=list)
    relationship_types: list[RelationshipTypeSchema] = Field(default_factory=list)

    def label(self, name: str) -> NodeLabelSchema:
        """The node label called ``name`` (KeyError naming the known labels otherwise).

        Example:
            >>> conn.schema().label("Customer").count
            1000
        """
        for node in self.node_labels:
            if node.label == name:
                return node
        known = ", ".join(n.label for n in self.node_labels) or "none"
        raise KeyError(f"No node label {name!r} in this graph; labels: {known}")

    def __repr__(self) -> str:
        def total(items: list[NodeLabelSchema] | list[RelationshipTypeSchema], what: str) -> str:
            counts = [i.count for i in items if i.count is not None]
            return f" ({sum(counts):,} {what})" if counts else ""

        return (
            f"<GraphSchema {len(self.node_labels)} node labels"
            f"{total(self.node_labels, 'nodes')}, {len(self.relationship_types)} relationship "
            f"types{total(self.relationship_types, 'relationships')}>"
        )

    def __str__(self) -> str:
        lines = [f"(:{n.label}) {n.count} nodes" for n in self.node_labels]
        lines += [
            f"(:{r.from_node})-[:{r.type}]->(:{r.to_node}) {r.count} relationships"
            for r in self.relationship_types
        ]
        return "\n".join(lines)
