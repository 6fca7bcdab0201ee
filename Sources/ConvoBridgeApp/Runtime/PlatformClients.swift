import ConvoBridgeCore
import ConvoBridgeHTTP

/// The platform adapters a source's poller uses, built from its connection settings.
struct PlatformClients {
    let reader: any ConversationReader
    let lister: (any ConversationLister)?
    /// Listed conversations are partial and are read in full when first seen.
    let readsNewlyListed: Bool

    init(source: BridgeConfiguration.Source, http: SourceHTTPClient, redactor: SecretRedactor) {
        let discovery = source.discovery
        switch source.connection {
        case .jelou(let baseURL, let projectID, let credentials, let advisorBaseURL, let advisorCredentials):
            reader = JelouConversationClient(baseURL: baseURL, projectID: projectID, credentials: credentials, http: http, redactor: redactor)
            lister = zip(advisorBaseURL, discovery).map { url, discovery in
                JelouAdvisorClient(
                    apiBaseURL: url, credentials: advisorCredentials ?? credentials, pageSize: discovery.pageSize,
                    maxPages: discovery.maxPages, http: http, redactor: redactor)
            }
            readsNewlyListed = true
        case .chatvolt(let baseURL, let token, let statusFilter):
            let client = ChatvoltClient(
                baseURL: baseURL, token: token, statusFilter: statusFilter, pageSize: discovery?.pageSize ?? 100,
                maxPages: discovery?.maxPages ?? 200, http: http, redactor: redactor)
            reader = client
            lister = discovery == nil ? nil : client
            readsNewlyListed = false
        case .zild(let baseURL, let token, let labels):
            reader = ZildClient(baseURL: baseURL, token: token, endedReasonLabels: labels, http: http, redactor: redactor)
            lister = nil
            readsNewlyListed = false
        }
    }
}

/// Both values, or nil.
private func zip<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
