/// Reads the events Jelou's external-support panel pushes: `conversation.start`, `conversation.close` (named by
/// `event`) and `message` (named by `event_type`, conversation in `conversation.id`), `timestamp` in Unix ms.
public enum JelouWebhookEvent {
    public static func nativeEvent(from body: JSONValue) throws(PayloadError) -> NativeEvent {
        try WebhookEventFormat.jelou.nativeEvent(from: body)
    }
}
