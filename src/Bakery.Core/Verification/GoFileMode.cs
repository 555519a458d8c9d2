using System.Text;
using Bakery.Oci.Layers;

namespace Bakery.Core.Verification;

/// <summary>
/// The permission string container-structure-test compares: Go's <c>FileMode.String()</c> of an
/// lstat. Type and special bits come first in Go's order (d, L, D, p, u, g, c, t), so a symlink is
/// <c>Lrwxrwxrwx</c>, a setgid directory <c>dgrwxr-xr-x</c>, /tmp <c>dtrwxrwxrwx</c>, a setuid file
/// <c>urwxr-xr-x</c>, a character device <c>Dcrw-rw-rw-</c>.
/// </summary>
public static class GoFileMode
{
    private const int SetUid = 0x800, SetGid = 0x400, Sticky = 0x200;

    public static string Format(LayerEntryType type, int mode)
    {
        // Linux ignores a symlink's own mode and lstat always reports 0777, whatever the tar header said.
        if (type == LayerEntryType.SymbolicLink) mode = (mode & ~0x1FF) | 0x1FF;
        var text = new StringBuilder(12);
        if (type == LayerEntryType.Directory) text.Append('d');
        if (type == LayerEntryType.SymbolicLink) text.Append('L');
        if (type is LayerEntryType.BlockDevice or LayerEntryType.CharacterDevice) text.Append('D');
        if (type == LayerEntryType.Fifo) text.Append('p');
        if ((mode & SetUid) != 0) text.Append('u');
        if ((mode & SetGid) != 0) text.Append('g');
        if (type == LayerEntryType.CharacterDevice) text.Append('c');
        if ((mode & Sticky) != 0) text.Append('t');
        if (text.Length == 0) text.Append('-');
        const string letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++) text.Append((mode & (1 << (8 - i))) != 0 ? letters[i] : '-');
        return text.ToString();
    }

    public static string Format(ImageFilesystem.Node node) => Format(node.Type, node.Mode);
}
