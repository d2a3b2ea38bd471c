# The LL-HLS cache tier: Varnish in front of the LevelChat origins (README: "A cache tier for large
# audiences"). docker-compose.yml runs it as `hls-cache`; bench/lib/llhls-varnish.ts runs this same file
# on loopback for the bench and the integration test. The origins it asks are in llhls-origins.vcl (found
# on vcl_path): its backends, and a vcl_init adding each to the `origins` director (Varnish runs the
# vcl_init bodies in the order they appear: created above the include, rebuilt below it).
#
# What it keeps, and for how long, is what the origin's Cache-Control says — parts, segments and init
# sections for a year (their names are never reused), a blocking playlist answer (_HLS_msn[, _HLS_part,
# _HLS_skip]) for three target durations — with one exception: a media playlist asked without delivery
# directives (the origin says max-age=0, it changes with every part) is shared for 0.1 s, under the
# shortest part target (LEVELCHAT_HLS_PART_TARGET >= 0.1 s), so polling players cost the origin at most
# ten requests per second per rendition and node whatever their number. Viewers asking for the same
# object while it is on its way wait on Varnish's waiting list and are all answered as soon as it
# arrives: one origin request per object per cache node.
vcl 4.1;

import directors;
import std;

sub vcl_init {
    # Consistent per room: every object of a room is asked of the same origin (its read-through cache
    # holds the room's parts, and a part is never asked of a node that has not yet seen the playlist
    # update naming it); the next origin on the ring when that one does not answer (vcl_backend_error).
    new origins = directors.shard();
}

include "llhls-origins.vcl";

sub vcl_init {
    origins.reconfigure();
}

sub vcl_recv {
    if (req.url !~ "^/hls/") {
        return (synth(404));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    # A signed room's answers are its viewer's own (the origin marks them private): nothing to share,
    # and no per-viewer marker objects to keep either.
    if (req.url ~ "[?&]token=" || req.http.Authorization) {
        return (pass);
    }
    # The origin reads no cookies: a page's cookies must not make every viewer a pass.
    unset req.http.Cookie;
    # _HLS_msn, _HLS_part and _HLS_skip in any order are one request, hence one key.
    set req.url = std.querysort(req.url);
    return (hash);
}

sub vcl_hash {
    # The whole path and query, nothing else: every _HLS_msn/_HLS_part/_HLS_skip is its own answer, and
    # the same answer whatever Host the viewer (or a CDN) used.
    hash_data(req.url);
    return (lookup);
}

sub vcl_backend_fetch {
    set bereq.backend = origins.backend(by=KEY, key=origins.key(regsub(bereq.url, "^/hls/([^/?]*).*$", "\1")), alt=bereq.retries);
    set bereq.connect_timeout = 1s;
    # The origin holds a blocking request up to three target durations (6 s at the longest default
    # segment, 2 s) before it answers 503: wait longer than that for its first byte.
    set bereq.first_byte_timeout = 15s;
    set bereq.between_bytes_timeout = 10s;
    return (fetch);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status != 200 || beresp.http.Set-Cookie || beresp.http.Vary == "*" ||
        beresp.http.Cache-Control ~ "(?i)(private|no-store|no-cache)") {
        # Not kept (the origin's failures are no-store). A one-second hit-for-miss marker instead of
        # nothing: requests already waiting for this URL, and those arriving in that second, go to the
        # origin side by side rather than each waiting for the previous one's answer.
        set beresp.ttl = 1s;
        set beresp.grace = 0s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (bereq.url ~ "\.m3u8(\?|$)") {
        # Nobody gets a stale live edge: an expired playlist is fetched again while its viewers wait.
        set beresp.grace = 0s;
        set beresp.keep = 0s;
        if (bereq.url !~ "[?&]_HLS_msn=" && beresp.ttl < 0.1s) {
            set beresp.ttl = 0.1s;
        }
    }
    # Skips the built-in rules, whose hit-for-miss for two minutes would stop the collapsing.
    return (deliver);
}

sub vcl_backend_error {
    # The origin refused, reset or did not answer in time: the next one on the room's ring.
    if (bereq.retries < 2) {
        return (retry);
    }
    set beresp.http.Cache-Control = "no-store";
    set beresp.ttl = 1s;
    set beresp.grace = 0s;
    set beresp.uncacheable = true;
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } else if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
