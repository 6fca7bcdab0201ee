/// Payloads derived from Zild's "Get a Conversation By Id" page (in the seeds).
enum ZildFixtures {
    /// The page's example, verbatim: every field with a placeholder value.
    static let documentedExample = """
        {
          "id": 123, "active": true, "liveAgent": true, "from": "<string>", "conversationId": "<string>", "waterMark": "<string>",
          "token": "<string>", "createdAt": "2023-11-07T05:31:56Z", "finishedAt": "2023-11-07T05:31:56Z",
          "queuedAt": "2023-11-07T05:31:56Z", "lastConversationUpdateTime": "2023-11-07T05:31:56Z",
          "lastMessageContent": "<string>", "contactName": "<string>", "userId": 123, "userName": "<string>",
          "counterpartUserId": 123, "counterpartUserName": "<string>", "botId": 123, "botName": "<string>",
          "fileUrl": "<string>", "fileName": "<string>", "tenantId": 123, "conversationSummary": "<string>",
          "messages": [
            {"id": 123, "createdAt": "2023-11-07T05:31:56Z", "from": "<string>", "to": "<string>", "content": "<string>",
             "conversationId": 123, "sentiment": "<string>", "offset": "<string>", "isNPS": true, "contentSid": "<string>",
             "messageType": 0, "mediaUrl": "<string>", "mediaFileName": "<string>", "tenantId": 123, "userId": 123,
             "contentVariables": "<string>", "messageSid": "<string>", "messageStatus": 0, "sent": true, "delivered": true,
             "read": true, "errorCode": "<string>", "errorMessage": "<string>", "isReadByUser": true, "documentId": 123}
          ],
          "score": 123, "finalScore": 123, "checklistId": 123, "channelId": 123, "conversationIntegrationType": 0,
          "duration": "<string>", "highImportanceErrorDetected": true,
          "tags": [{"id": 123, "name": "<string>", "active": true, "createdAt": "2023-11-07T05:31:56Z", "tenantId": 123}],
          "conversationEvaluationStatus": 0, "conversationEvaluationStatusMessage": "<string>", "queueId": 123,
          "queueName": "<string>", "conversationEndedReasonId": 123, "agentType": 0, "conversationType": 0,
          "applicationStatusId": 123, "overallSentiment": "<string>", "callStatus": "<string>",
          "disconnectionReason": "<string>", "callSuccessful": true, "totalUnreadedMessagesByUser": 123,
          "dynamicVariables": [{"id": 123, "name": "<string>", "value": "<string>", "conversationId": 123}],
          "dataCollection": [{"id": 123, "name": "<string>", "value": "<string>", "conversationId": 123}],
          "agentId": 123
        }
        """

    /// A WhatsApp conversation waiting in a queue for a human, with realistic values.
    static let queued = """
        {"id": 48213, "active": true, "liveAgent": false, "from": "5511988887777", "conversationId": "wamid.HBgN",
         "createdAt": "2026-01-15T10:30:00", "finishedAt": null, "queuedAt": "2026-01-15T10:34:10.1234567",
         "lastConversationUpdateTime": "2026-01-15T10:34:10", "lastMessageContent": "quero falar com um atendente",
         "contactName": "Carla Dias", "userId": 0, "userName": null, "counterpartUserId": 0, "counterpartUserName": null,
         "botId": 7, "botName": "Assistente", "tenantId": 3, "messages": null, "conversationIntegrationType": 2,
         "duration": null, "tags": null, "conversationEvaluationStatus": 0, "queueId": 5, "queueName": "Financeiro",
         "conversationEndedReasonId": 0, "agentType": 1, "conversationType": 0, "callStatus": null,
         "callSuccessful": false, "totalUnreadedMessagesByUser": 1, "agentId": 0}
        """

    /// The same conversation finished by the agent: `active` false, `finishedAt` and a duration set.
    static let finished = """
        {"id": 48213, "active": false, "liveAgent": true, "from": "5511988887777", "createdAt": "2026-01-15T10:30:00",
         "finishedAt": "2026-01-15T11:05:12.5", "queuedAt": "2026-01-15T10:34:10.1234567",
         "lastConversationUpdateTime": "2026-01-15T11:05:12.5", "contactName": "Carla Dias", "counterpartUserId": 91,
         "counterpartUserName": "Diego Rocha", "botId": 7, "botName": "Assistente", "conversationIntegrationType": 2,
         "duration": "00:35:12.5000000", "tags": [{"id": 2, "name": "boleto"}], "conversationEvaluationStatus": 1,
         "queueId": 5, "queueName": "Financeiro", "conversationEndedReasonId": 4, "agentType": 1, "conversationType": 0}
        """
}
