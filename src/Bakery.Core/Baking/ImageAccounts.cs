namespace Bakery.Core.Baking;

/// <summary>
/// The users and groups of an image (its /etc/passwd and /etc/group), so a BakeryLayer's
/// <c>Owner="app"</c> means what <c>COPY --chown=app</c> means: looked up in the image, not on the build machine.
/// </summary>
public sealed class ImageAccounts
{
    private readonly Dictionary<string, (int Uid, int Gid)> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _groups = new(StringComparer.Ordinal);

    public static ImageAccounts Parse(string? passwd, string? group)
    {
        var accounts = new ImageAccounts();
        foreach (var fields in Lines(passwd))
            if (fields.Length >= 4 && int.TryParse(fields[2], out var uid) && int.TryParse(fields[3], out var gid))
                accounts._users.TryAdd(fields[0], (uid, gid));
        foreach (var fields in Lines(group))
            if (fields.Length >= 3 && int.TryParse(fields[2], out var gid))
                accounts._groups.TryAdd(fields[0], gid);
        return accounts;
    }

    /// <summary>True when <paramref name="owner"/> (uid[:gid]) needs no lookup.</summary>
    public static bool TryParseNumeric(string owner, out int uid, out int? gid)
    {
        var parts = owner.Trim().Split(':');
        uid = 0;
        gid = null;
        if (parts.Length > 2 || !int.TryParse(parts[0], out uid) || uid < 0) return false;
        if (parts.Length == 2)
        {
            if (!int.TryParse(parts[1], out var g) || g < 0) return false;
            gid = g;
        }
        return true;
    }

    /// <summary>user[:group] by name or id; a user alone takes the user's primary group. Null with the reason when unknown.</summary>
    public (int Uid, int Gid)? Resolve(string owner, out string? problem)
    {
        problem = null;
        var parts = owner.Trim().Split(':');
        if (parts.Length > 2 || parts[0].Length == 0) { problem = $"'{owner}' is not user[:group]"; return null; }
        int uid, gid;
        if (int.TryParse(parts[0], out var numericUser))
        {
            uid = numericUser;
            gid = _users.Values.Where(u => u.Uid == numericUser).Select(u => (int?)u.Gid).FirstOrDefault() ?? numericUser;
        }
        else if (_users.TryGetValue(parts[0], out var user)) (uid, gid) = user;
        else { problem = $"the image has no user '{parts[0]}' in /etc/passwd (create it in an earlier BakeryRun step, or use a numeric id)"; return null; }
        if (parts.Length == 2)
        {
            if (int.TryParse(parts[1], out var numericGroup)) gid = numericGroup;
            else if (_groups.TryGetValue(parts[1], out var g)) gid = g;
            else { problem = $"the image has no group '{parts[1]}' in /etc/group"; return null; }
        }
        return (uid, gid);
    }

    private static IEnumerable<string[]> Lines(string? text) =>
        (text ?? "").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split(':'));
}
