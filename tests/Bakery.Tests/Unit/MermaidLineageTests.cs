using Bakery.Core.Lifecycle;
using Bakery.Core.Reports;

namespace Bakery.Tests.Unit;

[TestClass]
public sealed class MermaidLineageTests
{
    [TestMethod]
    public void Nodes_are_written_once_with_the_most_severe_state_grouped_and_joined_by_marked_edges()
    {
        var text = MermaidLineage.Write(
        [
            new LineageNode("up", "upstream/debian", LifecycleState.Supported),
            new LineageNode("global", "Contoso.Runtime 10.0.3", LifecycleState.Supported),
            new LineageNode("global", "Contoso.Runtime 10.0.3", LifecycleState.Revoked),
            new LineageNode("app:a", "web \"a\"", LifecycleState.Revoked, "on Contoso.Runtime 10.0.3"),
            new LineageNode("app:b", "worker", null, "on Contoso.Runtime 10.0.3"),
        ],
        [new LineageEdge("up", "global"), new LineageEdge("global", "app:a"), new LineageEdge("global", "app:b", "newer: 10.0.4"), new LineageEdge("up", "missing")]);

        StringAssert.StartsWith(text, "```mermaid\nflowchart LR\n");
        StringAssert.EndsWith(text, "```\n");
        Assert.AreEqual(1, text.Split("[\"Contoso.Runtime 10.0.3\"]:::").Length - 1, "a node shared by several lineages is written once");
        StringAssert.Contains(text, "n1[\"Contoso.Runtime 10.0.3\"]:::revoked", "with its most severe state");
        StringAssert.Contains(text, "n2[\"web #quot;a#quot;\"]:::revoked", "quotes cannot break the label");
        StringAssert.Contains(text, "n3[\"worker\"]:::unknown");
        StringAssert.Contains(text, "subgraph gn2[\"on Contoso.Runtime 10.0.3\"]");
        StringAssert.Contains(text, "n0 --> n1");
        StringAssert.Contains(text, "n1 -.->|\"newer: 10.0.4\"| n3");
        Assert.DoesNotContain("missing", text, "an edge to an unknown node is left out");
        StringAssert.Contains(text, "classDef revoked ");
    }
}
