using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Fluent.Syntax.Elements.Types;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnitV3;
using static ArchUnitNET.Fluent.ArchRuleDefinition;

namespace Vidgate.Tests.Architecture;

/// <summary>
/// The arrows between the server's feature folders (folder = namespace) that DESIGN.md §2 forbids, one test per
/// sentence of its "never" list and of the review's arrows; the picture in docs/architecture.md is the same. A failure
/// lists each offending type with the types it must not use. Compiler-made types (lambdas, async state machines) count
/// as the type that contains them.
/// </summary>
public sealed class DependencyRules
{
    private const string Server = "Vidgate.Server";

    private static readonly ArchUnitNET.Domain.Architecture Code =
        new ArchLoader().LoadAssemblies(typeof(Vidgate.Server.Tasks.VideoTask).Assembly).Build();

    [Fact]
    public void Providers_never_know_dialects() =>
        In("Providers").Should().NotDependOnAny(In("Dialects"))
            .Because("a provider speaks its upstream's wire, never a client's (DESIGN §2)").Check(Code);

    [Fact]
    public void Dialects_know_no_providers_storage_task_stores_billing_or_workers() =>
        In("Dialects").Should().NotDependOnAny(
                Types().That().ResideInNamespaceOrBelow($"{Server}.Providers")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Storage")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Billing")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Workers")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Data")
                    .Or().HaveFullNameMatching($@"^{Server}\.Tasks\.\w*Store"))
            .Because("dialects are thin translators between a wire format and VideoRequest/VideoTask (DESIGN §2)").Check(Code);

    [Fact]
    public void Dialects_do_no_io() =>
        // Types outside the server are named one by one: ArchUnitNET's type filters see only the loaded assembly.
        In("Dialects").Should().NotDependOnAny(
                typeof(File), typeof(FileInfo), typeof(FileStream), typeof(Directory), typeof(DirectoryInfo),
                typeof(HttpClient), typeof(HttpMessageInvoker), typeof(HttpRequestMessage), typeof(IHttpClientFactory),
                typeof(System.Net.Sockets.Socket), typeof(Microsoft.Data.Sqlite.SqliteConnection), typeof(Microsoft.Data.Sqlite.SqliteCommand))
            .Because("translation is pure: fetching an image URL or reading a file belongs to the create path, after validation").Check(Code);

    [Fact]
    public void The_task_store_knows_no_provider_endpoint_wire_format_or_billing() =>
        In("Tasks").Should().NotDependOnAny(
                Types().That().ResideInNamespaceOrBelow($"{Server}.Providers")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Videos")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Admin")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Dialects")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Billing")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Workers")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Data"))
            .AndShould().NotDependOnAny(typeof(Microsoft.AspNetCore.Http.HttpContext), typeof(Microsoft.AspNetCore.Http.IResult))
            .Because("the store is the queue and knows tasks only; money joins its writes through ITaskParticipant, and HTTP and wire formats are others' (DESIGN §2)").Check(Code);

    [Fact]
    public void The_database_layer_implements_store_seams_but_knows_no_endpoint_wire_format_worker_or_generator() =>
        // Data/ is where each engine implements the store seams the features define (ITaskStore, ILedger, IKeyStore,
        // IUpstreamConfigStore…), so it may know those features' records; never their endpoints, wire formats, workers or
        // the providers themselves.
        In("Data").Should().NotDependOnAny(
                Types().That().ResideInNamespaceOrBelow($"{Server}.Videos")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Admin")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Dialects")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Workers")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Metrics")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.Builtin")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.Xai")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.OpenAi")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.ComfyUi")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.Http")
                    .Or().ResideInNamespaceOrBelow($"{Server}.Providers.Fetch"))
            .AndShould().NotDependOnAny(typeof(Microsoft.AspNetCore.Http.HttpContext), typeof(Microsoft.AspNetCore.Http.IResult))
            .Because("the database layer stores what the features hand it; it never serves, translates or generates (DESIGN §2)").Check(Code);

    [Fact]
    public void Blobs_know_no_tasks() =>
        In("Storage").Should().NotDependOnAny(In("Tasks"))
            .Because("a blob store keeps bytes under keys; what a key means is the caller's").Check(Code);

    [Fact]
    public void Nothing_but_hosting_and_program_references_hosting() =>
        Types().That().DoNotResideInNamespaceOrBelow($"{Server}.Hosting").And().DoNotHaveFullName("Program")
            .Should().NotDependOnAny(In("Hosting"))
            .Because("Hosting only wires; what features share (ApiError, options) lives in a kernel every feature may use").Check(Code);

    [Fact]
    public void Providers_and_tasks_never_import_metrics() =>
        In("Providers").Or().ResideInNamespaceOrBelow($"{Server}.Tasks").Should().NotDependOnAny(In("Metrics"))
            .Because("metrics are counted where a transition is requested, not inside the store or a provider").Check(Code);

    [Fact]
    public void Videos_does_not_import_workers() =>
        In("Videos").Should().NotDependOnAny(In("Workers"))
            .Because("endpoints and workers meet only through the store and the wake-up signal").Check(Code);

    [Fact]
    public void Billing_does_not_import_dialects() =>
        In("Billing").Should().NotDependOnAny(In("Dialects"))
            .Because("money is charged on the canonical request, whichever dialect it came in").Check(Code);

    /// <summary>The types of one feature folder of the server and its subfolders.</summary>
    private static GivenTypesConjunction In(string feature) => Types().That().ResideInNamespaceOrBelow($"{Server}.{feature}");
}
