// spdy_interop drives crio-cpp's SPDY code with moby/spdystream, the SPDY library under the
// kubelet, kubectl and crictl. Built with GOPATH=/usr/share/gocode and GO111MODULE=off from
// Debian's golang-github-docker-spdystream-dev; run by the spdy interop unit tests.
//
//	spdy_interop exec-client ADDR PATH STDIN   exec through our server (v4), like kubectl
//	spdy_interop pf-client ADDR PATH PORT DATA  one port-forward through our server
//	spdy_interop exec-server                    serves one exec on a free port (printed first)
package main

import (
	"bufio"
	"fmt"
	"io"
	"io/ioutil"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"

	"github.com/moby/spdystream"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "spdy_interop: "+format+"\n", args...)
	os.Exit(2)
}

// upgrade performs the HTTP/1.1 upgrade to SPDY/3.1 the way client-go does.
func upgrade(addr, path string, protocols ...string) (net.Conn, string) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		fail("dial: %v", err)
	}
	req := "POST " + path + " HTTP/1.1\r\nHost: " + addr +
		"\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
	for _, p := range protocols {
		req += "X-Stream-Protocol-Version: " + p + "\r\n"
	}
	req += "Content-Length: 0\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		fail("write request: %v", err)
	}
	reader := bufio.NewReader(conn)
	resp, err := http.ReadResponse(reader, nil)
	if err != nil {
		fail("read response: %v", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		fail("status %d", resp.StatusCode)
	}
	if reader.Buffered() > 0 {
		fail("server sent SPDY bytes before the client spoke")
	}
	return conn, resp.Header.Get("X-Stream-Protocol-Version")
}

func newStream(c *spdystream.Connection, headers http.Header) *spdystream.Stream {
	s, err := c.CreateStream(headers, nil, false)
	if err != nil {
		fail("create stream: %v", err)
	}
	if err := s.Wait(); err != nil {
		fail("stream reply: %v", err)
	}
	return s
}

func execClient(addr, path, stdin string) {
	conn, protocol := upgrade(addr, path, "v4.channel.k8s.io", "v3.channel.k8s.io")
	c, err := spdystream.NewConnection(conn, false)
	if err != nil {
		fail("connection: %v", err)
	}
	go c.Serve(spdystream.NoOpStreamHandler)
	h := http.Header{}
	h.Set("streamType", "error")
	errStream := newStream(c, h)
	h.Set("streamType", "stdin")
	in := newStream(c, h)
	h.Set("streamType", "stdout")
	out := newStream(c, h)
	h.Set("streamType", "stderr")
	errOut := newStream(c, h)

	var wg sync.WaitGroup
	var stdout, stderr, status []byte
	wg.Add(3)
	go func() { defer wg.Done(); stdout, _ = ioutil.ReadAll(out) }()
	go func() { defer wg.Done(); stderr, _ = ioutil.ReadAll(errOut) }()
	go func() { defer wg.Done(); status, _ = ioutil.ReadAll(errStream) }()
	if _, err := io.Copy(in, strings.NewReader(stdin)); err != nil {
		fail("stdin: %v", err)
	}
	in.Close()
	wg.Wait()
	c.Close()
	fmt.Printf("protocol=%s\nstdout=%d:%s\nstderr=%s\nstatus=%s\n", protocol, len(stdout),
		summarize(stdout), stderr, status)
}

// summarize keeps short outputs readable and long ones checkable.
func summarize(b []byte) string {
	if len(b) <= 64 {
		return string(b)
	}
	return string(b[:16]) + "..." + string(b[len(b)-16:])
}

func pfClient(addr, path, port, data string) {
	conn, _ := upgrade(addr, path, "portforward.k8s.io")
	c, err := spdystream.NewConnection(conn, false)
	if err != nil {
		fail("connection: %v", err)
	}
	go c.Serve(spdystream.NoOpStreamHandler)
	h := http.Header{}
	h.Set("streamType", "error")
	h.Set("port", port)
	h.Set("requestID", "0")
	errStream := newStream(c, h)
	errStream.Close()
	h.Set("streamType", "data")
	dataStream := newStream(c, h)
	var errText []byte
	done := make(chan struct{})
	go func() { errText, _ = ioutil.ReadAll(errStream); close(done) }()
	dataStream.Write([]byte(data))
	dataStream.Close()
	got, _ := ioutil.ReadAll(dataStream)
	dataStream.Reset()
	errStream.Reset()
	<-done
	c.Close()
	fmt.Printf("data=%s\nerror=%s\n", got, errText)
}

// execServer plays the kubelet: one exec session that echoes stdin to stdout, writes a line
// on stderr and ends with exit code 3 in a v4 status.
func execServer() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("listen: %v", err)
	}
	fmt.Printf("%s\n", l.Addr())
	os.Stdout.Sync()
	conn, err := l.Accept()
	if err != nil {
		fail("accept: %v", err)
	}
	reader := bufio.NewReader(conn)
	req, err := http.ReadRequest(reader)
	if err != nil {
		fail("read request: %v", err)
	}
	chosen := ""
	for _, p := range req.Header["X-Stream-Protocol-Version"] {
		if p == "v4.channel.k8s.io" {
			chosen = p
		}
	}
	if chosen == "" {
		fail("client did not offer v4: %v", req.Header)
	}
	conn.Write([]byte("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n" +
		"Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: " + chosen + "\r\n\r\n"))
	if reader.Buffered() > 0 {
		fail("client sent SPDY bytes with its request")
	}
	c, err := spdystream.NewConnection(conn, true)
	if err != nil {
		fail("connection: %v", err)
	}
	streams := make(chan *spdystream.Stream, 8)
	go c.Serve(func(s *spdystream.Stream) {
		s.SendReply(http.Header{}, false)
		streams <- s
	})
	byType := map[string]*spdystream.Stream{}
	for len(byType) < 4 {
		s := <-streams
		byType[s.Headers().Get("streamType")] = s
	}
	io.Copy(byType["stdout"], byType["stdin"])
	byType["stderr"].Write([]byte("from spdystream\n"))
	byType["error"].Write([]byte(`{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}`))
	// As the kubelet's connection.Close: reset every stream, then GOAWAY.
	for _, s := range byType {
		s.Reset()
	}
	c.CloseWait()
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: see the source")
	}
	switch os.Args[1] {
	case "exec-client":
		execClient(os.Args[2], os.Args[3], os.Args[4])
	case "pf-client":
		pfClient(os.Args[2], os.Args[3], os.Args[4], os.Args[5])
	case "exec-server":
		execServer()
	default:
		fail("unknown mode %s", os.Args[1])
	}
}
