extension Array where Element == ObservedConversation {
    /// Each conversation once, where it first appeared, in the version seen last: paging over a list that changes
    /// while it is walked can show a conversation twice.
    public func keepingLastOfEachConversation() -> [ObservedConversation] {
        var position: [String: Int] = [:]
        var result: [ObservedConversation] = []
        for conversation in self {
            if let index = position[conversation.conversationID] {
                result[index] = conversation
            } else {
                position[conversation.conversationID] = result.count
                result.append(conversation)
            }
        }
        return result
    }
}
