namespace Godo.Messages.Wire;

/// <summary>Marker of every message that crosses the network; bound to <see cref="GodoWireSerializer"/>.</summary>
public interface IGodoWireMessage;

/// <summary>Messages an agent sends about its host.</summary>
public interface IHostMessage : IGodoWireMessage
{
    string Host { get; }
    /// <summary>A new id every time an agent process starts; a new incarnation always begins with a snapshot.</summary>
    string Incarnation { get; }
}
