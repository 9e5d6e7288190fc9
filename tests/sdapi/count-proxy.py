#!/usr/bin/env python3
"""Loopback reverse proxy that records each request, for checking how many
requests sdtoken makes and what they carry.

Usage: count-proxy.py LISTEN_PORT UPSTREAM_URL COUNT_FILE

COUNT_FILE gets one line appended per request: METHOD PATH-without-query STATUS,
followed by API_TOKEN_IN_QUERY when the URL contained "api_token".
"""
import sys, threading, urllib.request, urllib.error
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

port, upstream, count_file = int(sys.argv[1]), sys.argv[2].rstrip('/'), sys.argv[3]
lock = threading.Lock()

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def forward(self):
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        req = urllib.request.Request(upstream + self.path, data=body, method=self.command)
        for k, v in self.headers.items():
            if k.lower() not in ('host', 'content-length', 'connection'):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, headers, data = r.status, r.getheaders(), r.read()
        except urllib.error.HTTPError as e:
            status, headers, data = e.code, e.headers.items(), e.read()
        with lock, open(count_file, 'a') as f:
            flag = ' API_TOKEN_IN_QUERY' if 'api_token' in self.path else ''
            f.write(f"{self.command} {self.path.split('?')[0]} {status}{flag}\n")
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(k, v)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = forward

ThreadingHTTPServer(('127.0.0.1', port), Handler).serve_forever()
