namespace Bakery.Core.Baking;

/// <summary>The commit a working tree is at, read from .git without running git (HEAD, loose refs, packed-refs, worktree gitdir files).</summary>
public static class GitRevision
{
    public static string? Find(string directory)
    {
        for (var dir = Path.GetFullPath(directory); dir is not null; dir = Path.GetDirectoryName(dir))
        {
            var dotGit = Path.Combine(dir, ".git");
            if (Directory.Exists(dotGit)) return Head(dotGit);
            if (File.Exists(dotGit) && File.ReadAllText(dotGit).Trim() is var link && link.StartsWith("gitdir:", StringComparison.Ordinal))
                return Head(Path.GetFullPath(Path.Combine(dir, link["gitdir:".Length..].Trim())));
        }
        return null;
    }

    private static string? Head(string gitDirectory)
    {
        var headFile = Path.Combine(gitDirectory, "HEAD");
        if (!File.Exists(headFile)) return null;
        var head = File.ReadAllText(headFile).Trim();
        if (!head.StartsWith("ref:", StringComparison.Ordinal)) return head;
        var name = head["ref:".Length..].Trim();
        // A linked worktree keeps HEAD in its own folder and refs in the main repository's.
        var common = File.Exists(Path.Combine(gitDirectory, "commondir"))
            ? Path.GetFullPath(Path.Combine(gitDirectory, File.ReadAllText(Path.Combine(gitDirectory, "commondir")).Trim()))
            : gitDirectory;
        foreach (var root in new[] { gitDirectory, common })
        {
            var loose = Path.Combine(root, name);
            if (File.Exists(loose)) return File.ReadAllText(loose).Trim();
        }
        var packed = Path.Combine(common, "packed-refs");
        if (!File.Exists(packed)) return null;
        return File.ReadLines(packed)
            .Select(line => line.Split(' ', 2))
            .FirstOrDefault(parts => parts.Length == 2 && parts[1].Trim() == name)?[0];
    }
}
