using System.Text.Json.Nodes;

namespace Lanyard.Server.Common.Api;

/// <summary>
/// <c>fields=</c>: which properties of each item to return. A comma list of names, dot paths for nested
/// properties (<c>metadata.version</c>), <c>*</c> for everything; absent means everything, empty means
/// only the id. Names match case-insensitively and unknown names are ignored, as Wristband does. The id
/// is always kept so a projected item can still be addressed.
/// </summary>
internal sealed class FieldProjection
{
    public const int MaxLength = 2000;

    private readonly Node? _root;

    private FieldProjection(Node? root) => _root = root;

    public static FieldProjection All { get; } = new(null);

    public bool KeepsEverything => _root is null;

    public static Parsed<FieldProjection> Parse(IQueryCollection query)
    {
        if (!query.TryGetValue("fields", out var values))
        {
            return Parsed<FieldProjection>.Ok(All);
        }

        if (values.Count > 1)
        {
            return Parsed<FieldProjection>.Fail("fields is given more than once.");
        }

        return Parse(values[0] ?? "");
    }

    public static Parsed<FieldProjection> Parse(string text)
    {
        if (text.Length > MaxLength)
        {
            return Parsed<FieldProjection>.Fail($"fields is too long: at most {MaxLength} characters.");
        }

        var root = new Node();
        foreach (var path in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (path == "*")
            {
                return Parsed<FieldProjection>.Ok(All);
            }

            var node = root;
            foreach (var segment in path.Split('.', StringSplitOptions.TrimEntries))
            {
                if (node.Whole || segment.Length == 0)
                {
                    break;
                }

                node = node.Child(segment);
            }

            if (node != root)
            {
                node.KeepWhole();
            }
        }

        root.KeepWholeChild("id");
        return Parsed<FieldProjection>.Ok(new FieldProjection(root));
    }

    /// <summary>Removes from <paramref name="item"/> (in place) every property the projection does not keep.</summary>
    public JsonObject Apply(JsonObject item)
    {
        if (_root is not null)
        {
            Prune(item, _root);
        }

        return item;
    }

    private static void Prune(JsonNode? value, Node keep)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToList())
                {
                    var child = keep.Find(name);
                    if (child is null)
                    {
                        obj.Remove(name);
                    }
                    else if (!child.Whole)
                    {
                        Prune(obj[name], child);
                    }
                }

                break;
            case JsonArray array:
                foreach (var element in array)
                {
                    Prune(element, keep);
                }

                break;
        }
    }

    private sealed class Node
    {
        private Dictionary<string, Node>? _children;

        public bool Whole { get; private set; }

        public Node Child(string name)
        {
            _children ??= new Dictionary<string, Node>(StringComparer.OrdinalIgnoreCase);
            if (!_children.TryGetValue(name, out var child))
            {
                child = new Node();
                _children.Add(name, child);
            }

            return child;
        }

        public Node? Find(string name) => _children?.GetValueOrDefault(name);

        public void KeepWhole()
        {
            Whole = true;
            _children = null;
        }

        public void KeepWholeChild(string name) => Child(name).KeepWhole();
    }
}
