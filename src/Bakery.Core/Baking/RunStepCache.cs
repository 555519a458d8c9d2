using System.Text;
using Bakery.Oci.Layers;
using Bakery.Oci.Model;

namespace Bakery.Core.Baking;

/// <summary>
/// The key under which a BakeryRun step's layer is remembered: the base digest, the layers below
/// the step, and the step itself. A rebake with nothing changed neither runs it nor uploads anything.
/// </summary>
public static class RunStepCache
{
    public static string Key(Digest baseDigest, IEnumerable<Digest> layersBelow, RunStep step)
    {
        var text = new StringBuilder("run\n").Append(baseDigest).Append('\n');
        foreach (var layer in layersBelow) text.Append(layer).Append('\n');
        text.Append(step.User).Append('\n').Append(step.Command);
        return LayerIndex.KeyOf(text.ToString());
    }
}
