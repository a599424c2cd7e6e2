using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Lanyard.Server.Persistence;

/// <summary>
/// EF Core's migrations and model snapshot of a context, found without loading every type of the server's assembly.
/// </summary>
/// <remarks>
/// EF Core's own lookup asks the assembly for all its types to find the few migrations among them, which makes the
/// runtime load (and keep for the life of the process) every type the assembly defines: ~2,000 here, async state
/// machines and closures included. With MVC's and the model's own scans gone too, a start loads 1,600 fewer types
/// (docs/performance.md, "Start-up without the assembly scans"). Here the assembly's metadata names
/// the candidates — the types of the migrations namespace — and only those are loaded; the rest of the rule is
/// EF Core's: a subclass of <see cref="Migration"/> or <see cref="ModelSnapshot"/> whose <see cref="DbContextAttribute"/>
/// names this context.
/// </remarks>
internal sealed class MigrationTypes(ICurrentDbContext currentContext, IMigrationsIdGenerator ids) : IMigrationsAssembly
{
    /// <summary>Where <c>dotnet ef migrations add</c> puts both providers' migrations (<c>--output-dir Persistence/Migrations/…</c>).</summary>
    internal const string Namespace = "Lanyard.Server.Persistence.Migrations";

    private readonly Type _contextType = currentContext.Context.GetType();
    private IReadOnlyList<Type>? _candidates;
    private IReadOnlyDictionary<string, TypeInfo>? _migrations;
    private Lazy<ModelSnapshot?>? _snapshot;

    public Assembly Assembly => _contextType.Assembly;

    public IReadOnlyDictionary<string, TypeInfo> Migrations => _migrations ??= FindMigrations();

    public ModelSnapshot? ModelSnapshot => (_snapshot ??= new(() => Ours(typeof(ModelSnapshot))
        .Select(t => (ModelSnapshot)Activator.CreateInstance(t)!)
        .FirstOrDefault())).Value;

    public string? FindMigrationId(string nameOrId) =>
        Migrations.Keys.FirstOrDefault(id => ids.IsValidId(nameOrId)
            ? string.Equals(id, nameOrId, StringComparison.OrdinalIgnoreCase)
            : string.Equals(ids.GetName(id), nameOrId, StringComparison.OrdinalIgnoreCase));

    public Migration CreateMigration(TypeInfo migrationClass, string activeProvider)
    {
        var migration = (Migration)Activator.CreateInstance(migrationClass.AsType())!;
        migration.ActiveProvider = activeProvider;
        return migration;
    }

    private SortedList<string, TypeInfo> FindMigrations()
    {
        var found = new SortedList<string, TypeInfo>(StringComparer.Ordinal);
        foreach (var type in Ours(typeof(Migration)))
        {
            if (type.GetCustomAttribute<MigrationAttribute>()?.Id is { } id)
            {
                found.Add(id, type.GetTypeInfo());
            }
        }

        return found;
    }

    /// <summary>EF Core's rule: concrete subclasses of <paramref name="baseType"/> whose <see cref="DbContextAttribute"/> names this context.</summary>
    private IEnumerable<Type> Ours(Type baseType) =>
        (_candidates ??= [.. Candidates(Assembly)]).Where(t =>
            t.IsSubclassOf(baseType) && !t.IsAbstract && !t.IsGenericTypeDefinition
            && t.GetCustomAttribute<DbContextAttribute>()?.ContextType == _contextType);

    /// <summary>
    /// The top-level types of <see cref="Namespace"/> and its children, read from the assembly's metadata; every type of
    /// the assembly when its file cannot be read (a single-file bundle), which is what EF Core would have loaded.
    /// </summary>
    private static IEnumerable<Type> Candidates(Assembly assembly)
    {
        if (string.IsNullOrEmpty(assembly.Location))
        {
            return assembly.GetTypes().Where(t => t.DeclaringType is null && t.Namespace is { } ns && InNamespace(ns));
        }

        var names = new List<string>();
        using (var pe = new PEReader(File.OpenRead(assembly.Location)))
        {
            var metadata = pe.GetMetadataReader();
            foreach (var handle in metadata.TypeDefinitions)
            {
                var definition = metadata.GetTypeDefinition(handle);
                if (!definition.GetDeclaringType().IsNil)
                {
                    continue;
                }

                var ns = metadata.GetString(definition.Namespace);
                if (InNamespace(ns))
                {
                    names.Add(ns + "." + metadata.GetString(definition.Name));
                }
            }
        }

        return names.Select(name => assembly.GetType(name, throwOnError: true)!);
    }

    private static bool InNamespace(string ns) => ns == Namespace || ns.StartsWith(Namespace + ".", StringComparison.Ordinal);
}
