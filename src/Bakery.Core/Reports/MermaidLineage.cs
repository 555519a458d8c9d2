using System.Text;
using Bakery.Core.Lifecycle;

namespace Bakery.Core.Reports;

/// <summary>An image or project in a lineage picture; <paramref name="Group"/> puts it in a box with its siblings (the apps on one base).</summary>
public sealed record LineageNode(string Key, string Label, LifecycleState? State, string? Group = null);

/// <summary>"<paramref name="To"/> is built on <paramref name="From"/>"; a <paramref name="Note"/> marks it outdated (a newer base exists).</summary>
public sealed record LineageEdge(string From, string To, string? Note = null);

/// <summary>
/// A lineage as a Mermaid flowchart (upstream → global → team bases → apps), which GitHub, GitLab and
/// Azure DevOps render in Markdown: each node coloured by its lifecycle state, outdated edges dashed
/// and labelled, the apps on one base grouped so a tree with many apps stays readable.
/// </summary>
public static class MermaidLineage
{
    private static readonly (LifecycleState? State, string Class, string Style)[] Classes =
    [
        (LifecycleState.Supported, "supported", "fill:#dcfce7,stroke:#15803d,color:#14532d"),
        (LifecycleState.ExpiringSoon, "expiring", "fill:#fef9c3,stroke:#a16207,color:#713f12"),
        (LifecycleState.Deprecated, "deprecated", "fill:#ffedd5,stroke:#c2410c,color:#7c2d12"),
        (LifecycleState.Expired, "expired", "fill:#fee2e2,stroke:#b91c1c,color:#7f1d1d"),
        (LifecycleState.Revoked, "revoked", "fill:#7f1d1d,stroke:#450a0a,color:#ffffff"),
        (null, "unknown", "fill:#f3f4f6,stroke:#6b7280,color:#374151"),
    ];

    public static string Write(IEnumerable<LineageNode> nodes, IEnumerable<LineageEdge> edges)
    {
        var distinct = new List<LineageNode>();
        foreach (var node in nodes)
            if (distinct.FindIndex(n => n.Key == node.Key) is var i and >= 0) { if (node.State > distinct[i].State) distinct[i] = node with { Group = distinct[i].Group }; }
            else distinct.Add(node);
        var ids = distinct.Select((n, i) => (n.Key, Id: $"n{i}")).ToDictionary(p => p.Key, p => p.Id, StringComparer.Ordinal);
        var text = new StringBuilder("```mermaid\nflowchart LR\n");
        void Node(LineageNode n, string indent) =>
            text.Append(indent).Append(ids[n.Key]).Append("[\"").Append(Escape(n.Label)).Append("\"]:::").Append(ClassOf(n.State)).Append('\n');
        foreach (var n in distinct.Where(n => n.Group is null)) Node(n, "  ");
        foreach (var (group, members) in distinct.Where(n => n.Group is not null).GroupBy(n => n.Group!).Select(g => (g.Key, g.ToList())))
        {
            text.Append("  subgraph g").Append(ids[members[0].Key]).Append("[\"").Append(Escape(group)).Append("\"]\n    direction TB\n");
            foreach (var n in members) Node(n, "    ");
            text.Append("  end\n");
        }
        foreach (var e in edges.Where(e => ids.ContainsKey(e.From) && ids.ContainsKey(e.To)).Distinct())
            text.Append("  ").Append(ids[e.From]).Append(e.Note is null ? " --> " : $" -.->|\"{Escape(e.Note)}\"| ").Append(ids[e.To]).Append('\n');
        foreach (var (_, name, style) in Classes) text.Append("  classDef ").Append(name).Append(' ').Append(style).Append('\n');
        return text.Append("```\n").ToString();
    }

    private static string ClassOf(LifecycleState? state) => Classes.First(c => c.State == state).Class;

    private static string Escape(string label) => label.Replace("\"", "#quot;", StringComparison.Ordinal).Replace("\n", "<br/>", StringComparison.Ordinal);
}
