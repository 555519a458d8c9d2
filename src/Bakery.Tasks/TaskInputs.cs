using System.Reflection;
using Bakery.Core.Baking;
using Microsoft.Build.Framework;

namespace Bakery.Tasks;

/// <summary>
/// Fills a Core inputs record from a task's parameters of the same names, so each input is declared
/// once in the targets, once on the task and once in Core, with no hand-written mapping between them:
/// strings and booleans as they are, item arrays as <see cref="BakeItem"/>s (with FullPath when the
/// record marks them as files).
/// </summary>
internal static class TaskInputs
{
    public static T Map<T>(ITask task) where T : class
    {
        var inputs = (T)Activator.CreateInstance(typeof(T), nonPublic: true)!;
        var parameters = task.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var target in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            if (!parameters.TryGetValue(target.Name, out var source))
                throw new InvalidOperationException($"{task.GetType().Name} has no parameter {target.Name} for {typeof(T).Name}.");
            var value = source.GetValue(task);
            target.SetValue(inputs, value is ITaskItem[] items ? Items(items, target.IsDefined(typeof(FileItemsAttribute))) : value);
        }
        return inputs;
    }

    /// <summary>The items' specs and custom metadata; FullPath too for items that name files.</summary>
    public static IReadOnlyList<BakeItem> Items(ITaskItem[] items, bool withFullPath) => items.Select(item =>
    {
        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in item.CloneCustomMetadata()) metadata[(string)entry.Key] = (string?)entry.Value ?? "";
        if (withFullPath) metadata["FullPath"] = item.GetMetadata("FullPath");
        return new BakeItem(item.ItemSpec, metadata.Count == 0 ? null : metadata);
    }).ToList();
}
