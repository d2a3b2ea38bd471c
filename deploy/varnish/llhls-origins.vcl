# The LevelChat nodes of docker-compose.yml (host networking), included by llhls.vcl: every node serves
# every room's /hls/. A node counts once its /readyz has answered twice in a row; one that stops
# answering is skipped (its rooms go to the next node on the ring) until it is ready again.
probe levelchat_ready {
    .url = "/readyz";
    .interval = 2s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
}

backend node_1 { .host = "127.0.0.1"; .port = "8081"; .probe = levelchat_ready; }
backend node_2 { .host = "127.0.0.1"; .port = "8082"; .probe = levelchat_ready; }
backend node_3 { .host = "127.0.0.1"; .port = "8083"; .probe = levelchat_ready; }

sub vcl_init {
    origins.add_backend(node_1);
    origins.add_backend(node_2);
    origins.add_backend(node_3);
}
