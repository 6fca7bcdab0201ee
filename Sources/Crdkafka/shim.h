#ifndef CRDKAFKA_SHIM_H
#define CRDKAFKA_SHIM_H

#include <librdkafka/rdkafka.h>

/// Enqueues one message on a topic handle. `rd_kafka_producev` is a variadic macro API Swift cannot call,
/// so the vector form is built here. Key and value are copied (RD_KAFKA_MSG_F_COPY); the headers, when
/// given, are owned by the message on success and stay the caller's on failure. A `timestamp_ms` of 0 lets
/// librdkafka stamp the record with the time it is produced. A `partition` of RD_KAFKA_PARTITION_UA leaves the
/// choice to the configured partitioner.
static inline rd_kafka_error_t *convobridge_produce(rd_kafka_t *rk,
                                                    rd_kafka_topic_t *rkt,
                                                    int32_t partition,
                                                    const void *key, size_t key_len,
                                                    const void *value, size_t value_len,
                                                    rd_kafka_headers_t *headers,
                                                    int64_t timestamp_ms,
                                                    void *opaque) {
        rd_kafka_vu_t vus[8];
        size_t count = 0;
        vus[count].vtype = RD_KAFKA_VTYPE_RKT;
        vus[count].u.rkt = rkt;
        count++;
        if (partition != RD_KAFKA_PARTITION_UA) {
                vus[count].vtype = RD_KAFKA_VTYPE_PARTITION;
                vus[count].u.i32 = partition;
                count++;
        }
        vus[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
        vus[count].u.i = RD_KAFKA_MSG_F_COPY;
        count++;
        vus[count].vtype = RD_KAFKA_VTYPE_KEY;
        vus[count].u.mem.ptr = (void *)key;
        vus[count].u.mem.size = key_len;
        count++;
        vus[count].vtype = RD_KAFKA_VTYPE_VALUE;
        vus[count].u.mem.ptr = (void *)value;
        vus[count].u.mem.size = value_len;
        count++;
        if (headers != NULL) {
                vus[count].vtype = RD_KAFKA_VTYPE_HEADERS;
                vus[count].u.headers = headers;
                count++;
        }
        if (timestamp_ms != 0) {
                vus[count].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
                vus[count].u.i64 = timestamp_ms;
                count++;
        }
        vus[count].vtype = RD_KAFKA_VTYPE_OPAQUE;
        vus[count].u.ptr = opaque;
        count++;
        return rd_kafka_produceva(rk, vus, count);
}

#endif
