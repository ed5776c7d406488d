// SPDX-License-Identifier: MIT
/*
 * Eventfds that make VFIO act when signalled, as drivers/vfio/virqfd.c:
 * vfio-pci's INTx unmask eventfd (VFIO_IRQ_SET_ACTION_UNMASK with
 * DATA_EVENTFD) and its ioeventfds (VFIO_DEVICE_IOEVENTFD). See vfio.h
 * for the interface.
 *
 * The kernel hooks a callback on the eventfd's wait queue: each write to
 * the eventfd reads its count (eventfd_ctx_do_read) and runs the handler,
 * in the writer's context or on a workqueue. Here:
 *
 *  - The process that sets one keeps a private duplicate of the eventfd
 *    (close-on-exec, high above the program's fds), as the kernel keeps a
 *    reference on it, and one service thread per process waits on all of
 *    its duplicates with epoll, edge-triggered (one wakeup per signal, as
 *    the wait-queue callback sees each write). On a wakeup it reads the
 *    count without waiting (RWF_NOWAIT: the duplicate shares the
 *    program's open file and its blocking mode), then, with the registry
 *    locked, checks that the virqfd it watches is still enabled and runs
 *    the handler: the same code paths as a trapped write or the UNMASK
 *    ioctl. Disabling takes the registry lock too, so once disable
 *    returns no handler runs for it any more (the kernel flushes its
 *    work), whichever process's thread watches it.
 *  - The shared side (struct uio_virqfd, in the registry) names the
 *    watcher: pid, start time, the duplicate's fd, and a generation that
 *    every enable and disable bumps. Only the process that set a virqfd
 *    acts for it, whoever signals the eventfd; a disable or a device
 *    close in another process leaves that process's watch stale: its
 *    thread drops it at its next wakeup, and the process drops all its
 *    stale ones whenever it enables another.
 *  - The thread starts with the process's first watch and stops when its
 *    last one goes (a control eventfd wakes it); all signals are blocked
 *    in it. fork gives the child nothing: its copies of the duplicates
 *    and of the epoll fd are closed in the child (the parent's thread
 *    still acts for the parent's virqfds); the child starts its own
 *    thread with its first virqfd. exec closes everything with the image.
 *
 * What differs from the kernel, because the duplicate holds the eventfd
 * open: the kernel also drops a virqfd when the eventfd's last file
 * reference goes (EPOLLHUP); here it lives until disabled or the device
 * closes. A virqfd whose setter exited or exec'd is not acted on any more
 * (as with the interrupt triggers); nor is one set on a count already
 * pending acted on in the ioctl: the thread consumes the count and acts
 * right after.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>

#include "iommufd.h"
#include "kernel.h"
#include "sys.h"
#include "vfio.h"
#include "vfio_pci_priv.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x00000008
#endif

/* epoll data of the control eventfd (watches are index | seq << 32). */
#define UIO_VIRQFD_STOP UINT64_MAX

struct uio_virqfd_watch {
	int fd;                    /* the private duplicate; -1: a free entry */
	uint32_t seq;              /* bumped at each reuse of the entry */
	struct uio_virqfd *v;      /* in this process's registry mapping */
	uint32_t gen;              /* v's generation when enabled */
	uio_virqfd_fn *fn;
	uint32_t dev, arg;
};

static struct {
	pthread_mutex_t lock;      /* the watches, the thread's state */
	int epfd, stopfd;          /* -1 until the first watch */
	bool running;              /* a thread serves epfd */
	unsigned int n, live;      /* entries, entries in use */
	struct uio_virqfd_watch *w;
} uio_svc = { PTHREAD_MUTEX_INITIALIZER, -1, -1, false, 0, 0, NULL };

static pthread_once_t uio_svc_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ */
/* fork */

static void uio_svc_prepare(void)
{
	pthread_mutex_lock(&uio_svc.lock);
}

static void uio_svc_parent(void)
{
	pthread_mutex_unlock(&uio_svc.lock);
}

/* The child watches nothing: its copies of the parent's fds go. */
static void uio_svc_child(void)
{
	for (unsigned int i = 0; i < uio_svc.n; i++)
		if (uio_svc.w[i].fd >= 0)
			uio_sys_close(uio_svc.w[i].fd);
	if (uio_svc.epfd >= 0)
		uio_sys_close(uio_svc.epfd);
	if (uio_svc.stopfd >= 0)
		uio_sys_close(uio_svc.stopfd);
	free(uio_svc.w);
	uio_svc.w = NULL;
	uio_svc.n = uio_svc.live = 0;
	uio_svc.epfd = uio_svc.stopfd = -1;
	uio_svc.running = false;
	pthread_mutex_unlock(&uio_svc.lock);
}

static void uio_svc_setup(void)
{
	pthread_atfork(uio_svc_prepare, uio_svc_parent, uio_svc_child);
}

/* ------------------------------------------------------------------ */
/* the shared side */

static uint64_t uio_virqfd_word(int fd)
{
	return (uint64_t)(uint32_t)uio_current_pid() << 32 | (uint32_t)fd;
}

/* Whether watch w (a copy) is what v names now (registry locked). */
static bool uio_watch_current(const struct uio_virqfd_watch *w)
{
	return atomic_load(&w->v->word) == uio_virqfd_word(w->fd) &&
	       w->v->gen == w->gen &&
	       w->v->start_time == uio_current_start_time();
}

bool uio_virqfd_enabled(struct uio_virqfd *v)
{
	return atomic_load(&v->word) != 0;
}

/* ------------------------------------------------------------------ */
/* the watches (uio_svc.lock held) */

/* Drop entry i: out of epoll, its duplicate closed. */
static void uio_watch_drop_locked(unsigned int i)
{
	struct uio_virqfd_watch *w = &uio_svc.w[i];
	uint64_t one = 1;

	UIO_SYS(SYS_epoll_ctl, uio_svc.epfd, EPOLL_CTL_DEL, w->fd, NULL);
	uio_sys_close(w->fd);
	w->fd = -1;
	/* The last one: the thread stops (it checks live itself). */
	if (!--uio_svc.live)
		uio_sys_write(uio_svc.stopfd, &one, sizeof(one));
}

/* Drop entry i if it is still the watch of sequence seq. */
static void uio_watch_drop(unsigned int i, uint32_t seq)
{
	pthread_mutex_lock(&uio_svc.lock);
	if (i < uio_svc.n && uio_svc.w[i].fd >= 0 && uio_svc.w[i].seq == seq)
		uio_watch_drop_locked(i);
	pthread_mutex_unlock(&uio_svc.lock);
}

/* ------------------------------------------------------------------ */
/* the service thread */

/*
 * Read the eventfd's count without waiting (the duplicate shares the
 * program's open file, blocking or not): 0, or -EAGAIN if there is none.
 * A kernel whose eventfds refuse RWF_NOWAIT: a poll first (a program
 * reading its eventfd meanwhile could then make the read wait).
 */
static int uio_eventfd_consume(int fd)
{
	uint64_t cnt;
	struct iovec iov = { .iov_base = &cnt, .iov_len = sizeof(cnt) };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	long n = UIO_SYS(SYS_preadv2, fd, &iov, 1, -1L, -1L, RWF_NOWAIT);

	if (n == -EOPNOTSUPP || n == -EINVAL) {
		if (UIO_SYS(SYS_poll, &p, 1, 0) != 1 || !(p.revents & POLLIN))
			return -EAGAIN;
		n = uio_sys_read(fd, &cnt, sizeof(cnt));
	}
	return n == sizeof(cnt) ? 0 : -EAGAIN;
}

/*
 * Entry i fired: consume the count, then act if it is still current. Both
 * under the registry lock, so that once the count is seen consumed the
 * action is done, or under way and holding the lock.
 */
static void uio_watch_fire(unsigned int i, uint32_t seq)
{
	struct uio_vfio_registry *r = uio_vfio_registry();
	struct uio_virqfd_watch w;
	bool fired = false, current = false;

	if (!r)
		return;
	uio_core_enter();
	uio_vfio_lock(r);
	/* Read under the lock drops take: the duplicate cannot be closed
	 * (and its number reused) meanwhile. */
	pthread_mutex_lock(&uio_svc.lock);
	if (i < uio_svc.n && uio_svc.w[i].fd >= 0 && uio_svc.w[i].seq == seq &&
	    !uio_eventfd_consume(uio_svc.w[i].fd)) {
		fired = true;
		w = uio_svc.w[i];
	}
	pthread_mutex_unlock(&uio_svc.lock);
	if (fired) {
		current = uio_watch_current(&w);
		if (current)
			w.fn(r, w.dev, w.arg);
	}
	uio_vfio_unlock(r);
	uio_core_leave();
	if (fired && !current)
		uio_watch_drop(i, seq);
}

static void *uio_svc_main(void *arg)
{
	int epfd = (int)(intptr_t)arg;
	struct epoll_event ev[16];

	for (;;) {
		long n = UIO_SYS(SYS_epoll_wait, epfd, ev, 16, -1);

		if (n < 0) {
			if (n == -EINTR)
				continue;
			break;
		}
		for (long k = 0; k < n; k++) {
			uint64_t key = ev[k].data.u64, cnt;

			if (key != UIO_VIRQFD_STOP) {
				uio_watch_fire((unsigned int)key, (uint32_t)(key >> 32));
				continue;
			}
			uio_sys_read(uio_svc.stopfd, &cnt, sizeof(cnt));
			pthread_mutex_lock(&uio_svc.lock);
			if (!uio_svc.live) {
				uio_svc.running = false;
				pthread_mutex_unlock(&uio_svc.lock);
				return NULL;
			}
			pthread_mutex_unlock(&uio_svc.lock);
		}
	}
	pthread_mutex_lock(&uio_svc.lock);
	uio_svc.running = false;
	pthread_mutex_unlock(&uio_svc.lock);
	return NULL;
}

/* The epoll fd and the thread, if not there yet (uio_svc.lock held). */
static int uio_svc_start_locked(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = UIO_VIRQFD_STOP };
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t t;
	int rc;

	if (uio_svc.epfd < 0) {
		int ep = (int)UIO_SYS(SYS_epoll_create1, EPOLL_CLOEXEC), sfd, hi;

		if (ep < 0)
			return ep;
		sfd = (int)UIO_SYS(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (sfd < 0) {
			uio_sys_close(ep);
			return sfd;
		}
		/* Both high above the program's fds, as the duplicates. */
		hi = uio_vpci_dup_private(ep);
		if (hi >= 0) {
			uio_sys_close(ep);
			ep = hi;
		}
		hi = uio_vpci_dup_private(sfd);
		if (hi >= 0) {
			uio_sys_close(sfd);
			sfd = hi;
		}
		rc = (int)UIO_SYS(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, sfd, &ev);
		if (rc) {
			uio_sys_close(ep);
			uio_sys_close(sfd);
			return rc;
		}
		uio_svc.epfd = ep;
		uio_svc.stopfd = sfd;
	}
	if (uio_svc.running)
		return 0;
	/* No signal of the program's is delivered to this thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = -pthread_create(&t, &attr, uio_svc_main,
			     (void *)(intptr_t)uio_svc.epfd);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!rc)
		uio_svc.running = true;
	return rc;
}

/* ------------------------------------------------------------------ */
/* enable and disable (registry locked) */

/* Drop this process's watches that are not current any more. */
static void uio_svc_sweep_locked(void)
{
	for (unsigned int i = 0; i < uio_svc.n; i++)
		if (uio_svc.w[i].fd >= 0 && !uio_watch_current(&uio_svc.w[i]))
			uio_watch_drop_locked(i);
}

int uio_virqfd_check_eventfd(int fd)
{
	char path[32], link[32];
	long n;

	if (fd < 0 || !uio_sys_fd_valid(fd))
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = UIO_SYS(SYS_readlinkat, AT_FDCWD, path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = 0;
	return strcmp(link, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

int uio_virqfd_enable(struct uio_virqfd *v, int fd, uio_virqfd_fn *fn,
		      uint32_t dev, uint32_t arg)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct uio_virqfd_watch *w = NULL;
	unsigned int i;
	int rc, nfd;

	/* vfio_virqfd_enable(): the fd, an eventfd, then one at a time. */
	rc = uio_virqfd_check_eventfd(fd);
	if (rc)
		return rc;
	if (uio_virqfd_enabled(v))
		return -EBUSY;
	pthread_once(&uio_svc_once, uio_svc_setup);
	pthread_mutex_lock(&uio_svc.lock);
	uio_svc_sweep_locked();
	rc = uio_svc_start_locked();
	if (rc)
		goto out;
	for (i = 0; i < uio_svc.n && !w; i++)
		if (uio_svc.w[i].fd < 0)
			w = &uio_svc.w[i];
	if (!w) {
		unsigned int n = uio_svc.n ? 2 * uio_svc.n : 16;
		struct uio_virqfd_watch *nw = realloc(uio_svc.w, n * sizeof(*nw));

		if (!nw) {
			rc = -ENOMEM;
			goto out;
		}
		for (i = uio_svc.n; i < n; i++)
			nw[i] = (struct uio_virqfd_watch){ .fd = -1 };
		uio_svc.w = nw;
		w = &nw[uio_svc.n];
		uio_svc.n = n;
	}
	nfd = uio_vpci_dup_private(fd);
	if (nfd < 0) {
		rc = nfd;
		goto out;
	}
	v->gen++;
	v->start_time = uio_current_start_time();
	atomic_store(&v->word, uio_virqfd_word(nfd));
	w->fd = nfd;
	w->seq++;
	w->v = v;
	w->gen = v->gen;
	w->fn = fn;
	w->dev = dev;
	w->arg = arg;
	uio_svc.live++;
	/* A count already there shows at once (edge-triggered epoll reports
	 * the state at ADD): the thread consumes it and acts. */
	ev.data.u64 = (uint64_t)(w - uio_svc.w) | (uint64_t)w->seq << 32;
	rc = (int)UIO_SYS(SYS_epoll_ctl, uio_svc.epfd, EPOLL_CTL_ADD, nfd, &ev);
	if (rc) {
		atomic_store(&v->word, 0);
		v->gen++;
		uio_watch_drop_locked((unsigned int)(w - uio_svc.w));
	}
out:
	/* A thread started for nothing: it stops. */
	if (rc && !uio_svc.live && uio_svc.stopfd >= 0) {
		uint64_t one = 1;

		uio_sys_write(uio_svc.stopfd, &one, sizeof(one));
	}
	pthread_mutex_unlock(&uio_svc.lock);
	return rc;
}

void uio_virqfd_disable(struct uio_virqfd *v)
{
	uint64_t word = atomic_exchange(&v->word, 0);

	v->gen++;
	if (!word || (int32_t)(word >> 32) != uio_current_pid())
		return;
	/* Ours (this image's, if a watch has that duplicate): dropped now. */
	pthread_mutex_lock(&uio_svc.lock);
	for (unsigned int i = 0; i < uio_svc.n; i++)
		if (uio_svc.w[i].fd == (int)(uint32_t)word && uio_svc.w[i].v == v)
			uio_watch_drop_locked(i);
	pthread_mutex_unlock(&uio_svc.lock);
}
