using System.CommandLine;
using System.Globalization;
using Bakery.Core;
using Bakery.Core.Lifecycle;

using Bakery.Tool.Output;

namespace Bakery.Tool.Commands;

/// <summary>bakery lifecycle show|deprecate|expire|revoke|restore IMAGE</summary>
internal static class LifecycleCommands
{
    public static Command Create()
    {
        var command = new Command("lifecycle", "Show or change a base image's lifecycle, recorded in its registry as artifacts that refer to it.");
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Change("deprecate", LifecycleRecord.Deprecated, "Deprecate an image: bakes on it (and its descendants) fail with BAKE102.", defaultEndOfLifeNow: false));
        command.Subcommands.Add(Change("expire", LifecycleRecord.Deprecated, "Set an image's end of life (default: now): from then on bakes fail with BAKE101.", defaultEndOfLifeNow: true));
        command.Subcommands.Add(Change("revoke", LifecycleRecord.Revoked, "Revoke an image: bakes on it and on every descendant fail with BAKE103.", defaultEndOfLifeNow: false));
        command.Subcommands.Add(Change("restore", LifecycleRecord.Active, "Put an image back in good standing (the history is kept).", defaultEndOfLifeNow: false));
        return command;
    }

    private static Argument<string> ImageArgument() => new("image") { Description = "registry/repository@sha256:…, registry/repository:tag, or PackageId/Version of a base-image package." };

    private static Command Show()
    {
        var image = ImageArgument();
        var json = ToolContext.JsonOption();
        var command = new Command("show", "Show an image's lifecycle history and the state in force.") { image, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            var (reference, descriptor) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            var history = await new RegistryLifecycle(ToolContext.RegistryOptions()).HistoryAsync(reference, ct);
            var subject = descriptor is null ? LifecycleSubject.Of(reference) : LifecycleSubject.Of(descriptor);
            var verdict = LifecycleJudge.Judge(subject, descriptor?.Lifecycle, history.LastOrDefault(), DateTimeOffset.UtcNow, new LifecyclePolicy());
            if (result.GetValue(json))
                ToolContext.WriteJson(new { image = reference.ToString(), state = verdict.State, message = verdict.Diagnostics.FirstOrDefault()?.Message, history });
            else
            {
                Console.WriteLine($"{reference}: {verdict.State}");
                foreach (var d in verdict.Diagnostics) Console.WriteLine($"  {d.Code}: {d.Message}");
                Console.WriteLine();
                Table.Write(["recorded", "state", "end of life", "reason", "successor", "author"], history.Select(r => (IReadOnlyList<string>)
                [
                    r.Created.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), r.State,
                    r.EndOfLife?.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "", r.Reason ?? "", r.Successor ?? "", r.Author ?? "",
                ]));
            }
            return verdict.State is LifecycleState.Supported or LifecycleState.ExpiringSoon ? ExitCodes.Ok : ExitCodes.NotInGoodStanding;
        }));
        return command;
    }

    private static Command Change(string name, string state, string description, bool defaultEndOfLifeNow)
    {
        var image = ImageArgument();
        var reason = new Option<string?>("--reason") { Description = "Why; shown in every failing build." };
        var successor = new Option<string?>("--successor") { Description = "What to move to, e.g. \"Contoso.BaseImages.Runtime 10.0.4\"." };
        var date = new Option<string?>("--date") { Description = "End-of-life date (ISO 8601)." };
        var author = new Option<string?>("--author") { Description = "Who decided (default: the current user)." };
        var json = ToolContext.JsonOption();
        var command = new Command(name, description) { image, reason, successor, date, author, json };
        command.SetAction((result, ct) => ToolContext.RunAsync(async () =>
        {
            if (state == LifecycleRecord.Revoked && string.IsNullOrWhiteSpace(result.GetValue(reason)))
                throw new ToolException(ExitCodes.BadInput, "revoke needs --reason: every team whose build fails will read it.");
            var (reference, _) = await ToolContext.ResolveAsync(result.GetValue(image)!, ct);
            var now = DateTimeOffset.UtcNow;
            DateTimeOffset? endOfLife = result.GetValue(date) is { Length: > 0 } text
                ? PropertyValues.Date("--date", text)
                : defaultEndOfLifeNow ? now : null;
            var record = new LifecycleRecord
            {
                State = state,
                EndOfLife = endOfLife,
                Reason = result.GetValue(reason),
                Successor = result.GetValue(successor),
                Author = result.GetValue(author) ?? Environment.UserName,
                Created = now,
            };
            var written = await new RegistryLifecycle(ToolContext.RegistryOptions()).WriteAsync(reference, record, ct);
            if (result.GetValue(json)) ToolContext.WriteJson(new { image = reference.ToString(), record = written });
            else Console.WriteLine($"{reference}: recorded '{state}'{(endOfLife is { } e ? $", end of life {e:yyyy-MM-dd}" : "")} as {written.Digest}.");
            return ExitCodes.Ok;
        }));
        return command;
    }
}
