//! Compressed files decoded one member at a time, so that the end of the data is told apart
//! from damage.
//!
//! A gzip file is a series of members, a zstd file a series of frames, an xz or bzip2 file a
//! series of streams; each is checked whole (a checksum, a size) when it ends. The decoders'
//! own multi-member readers fail on bytes after the last member that are not another member
//! (`tar` or `dd` padding, junk written after the file) with the same kind of error as on a
//! member cut short: the last line of a file that ended cleanly became a line "cut off by
//! damage". [`Members`] decodes a member, and when it has ended (every byte of it decoded and
//! checked) looks at what follows: nothing is the end; zero bytes are padding, skipped as
//! `gzip` does (an xz file may even go on with another stream after them); the start of a
//! member is decoded like the first; anything else ends the data with a [`TrailingData`]
//! error, after every decoded byte. Damage inside a member stays the decoder's own error.

use std::fmt;
use std::io::{self, BufRead, Read};

use super::input::Compression;

/// Bytes after the last complete member of a compressed file that are not compressed data
/// (junk, or a member whose header is damaged: it cannot be told). Comes after every byte
/// the members before it decoded to, as an [`io::Error`] of kind `InvalidData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailingData {
    pub compression: Compression,
    /// How many bytes follow the last complete member, padding included.
    pub bytes: u64,
}

impl fmt::Display for TrailingData {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let (bytes, are, were) = match self.bytes {
            1 => ("byte".to_string(), "is", "was"),
            n => (format!("{n} bytes"), "are", "were"),
        };
        let (codec, member) = (self.compression.name(), self.compression.member_name());
        write!(
            f,
            "the {bytes} after its last complete {codec} {member} {are} not compressed data \
             and {were} ignored"
        )
    }
}

impl std::error::Error for TrailingData {}

impl TrailingData {
    /// The [`TrailingData`] `error` carries, if it is one: the decoded data ended cleanly
    /// before it, and no line was cut.
    pub fn of(error: &io::Error) -> Option<&TrailingData> {
        error.get_ref()?.downcast_ref()
    }
}

impl Compression {
    /// What one unit of the codec's concatenated data is called.
    pub fn member_name(self) -> &'static str {
        match self {
            Compression::Gzip => "member",
            Compression::Zstd => "frame",
            Compression::None | Compression::Bzip2 | Compression::Xz => "stream",
        }
    }
}

/// A decoder of one member, which hands its input back when the member has ended.
pub trait Member: Read + Sized {
    type Input: BufRead;
    /// Starts decoding a member at the start of `input`.
    fn start(input: Self::Input) -> io::Result<Self>;
    /// The input after the member, once [`Read::read`] returned 0.
    fn rest(self) -> Self::Input;
}

impl<R: BufRead> Member for flate2::bufread::GzDecoder<R> {
    type Input = R;
    fn start(input: R) -> io::Result<Self> {
        Ok(flate2::bufread::GzDecoder::new(input))
    }
    fn rest(self) -> R {
        self.into_inner()
    }
}

/// The largest window a zstd frame may ask for that is decoded, as `zstd -d --long=31`: the
/// library's default limit (128 MiB, `--long=27`) refused intact files written with a larger
/// `--long` window as damaged. Memory is then up to the window the writer chose.
const ZSTD_WINDOW_LOG_MAX: u32 = if cfg!(target_pointer_width = "64") {
    31
} else {
    30
};

impl<R: BufRead> Member for zstd::stream::read::Decoder<'static, R> {
    type Input = R;
    fn start(input: R) -> io::Result<Self> {
        let mut decoder = zstd::stream::read::Decoder::with_buffer(input)?.single_frame();
        decoder.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
        Ok(decoder)
    }
    fn rest(self) -> R {
        self.finish()
    }
}

/// A raw decoder of one stream (xz, bzip2), as the crates' C bindings give it.
pub trait Codec: Sized {
    /// The codec's name, in the errors of [`Stream`].
    const NAME: &'static str;
    fn new() -> io::Result<Self>;
    /// Decodes from `input` into `output` (`input` is empty at the end of the file): whether
    /// the stream ended. What it wrote before an error is in [`totals`](Self::totals).
    fn process(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<bool>;
    /// Bytes consumed and written so far.
    fn totals(&self) -> (u64, u64);
}

/// One xz or bzip2 stream, decoded by a loop of our own over the raw decoder. The crates'
/// readers (`xz2::bufread::XzDecoder`, `bzip2::bufread::BzDecoder`) return an error in place
/// of what they decoded in the same read, where `xz -dc` writes it out: up to a read (128 KiB)
/// of good lines before the damage were lost. Here those bytes come first and the error at the
/// next read. (`XzDecoder` does not say when its stream has ended either, and fails on a read
/// after the end if bytes follow.)
pub struct Stream<R, C> {
    input: R,
    codec: C,
    ended: bool,
    /// The error met after the bytes last returned.
    damage: Option<io::Error>,
}

impl<R: BufRead, C: Codec> Read for Stream<R, C> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(error) = self.damage.take() {
            return Err(error);
        }
        while !self.ended && !buf.is_empty() {
            let input = self.input.fill_buf()?;
            let eof = input.is_empty();
            let (in_before, out_before) = self.codec.totals();
            let status = self.codec.process(input, buf);
            let (in_after, out_after) = self.codec.totals();
            let (consumed, read) = (
                (in_after - in_before) as usize,
                (out_after - out_before) as usize,
            );
            self.input.consume(consumed);
            match status {
                Ok(ended) => self.ended = ended,
                Err(error) if read > 0 => self.damage = Some(error),
                Err(error) => return Err(error),
            }
            if read > 0 {
                return Ok(read);
            }
            if eof && !self.ended {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "premature eof",
                ));
            }
            if consumed == 0 && !self.ended {
                let corrupt = format!("corrupt {} stream", C::NAME);
                return Err(io::Error::new(io::ErrorKind::InvalidData, corrupt));
            }
        }
        Ok(0)
    }
}

impl<R: BufRead, C: Codec> Member for Stream<R, C> {
    type Input = R;
    fn start(input: R) -> io::Result<Self> {
        Ok(Stream {
            input,
            codec: C::new()?,
            ended: false,
            damage: None,
        })
    }
    fn rest(self) -> R {
        self.input
    }
}

/// xz: one stream (no `LZMA_CONCATENATED`), which stops at its end, before any padding.
pub struct Xz(xz2::stream::Stream);

impl Codec for Xz {
    const NAME: &'static str = "xz";
    fn new() -> io::Result<Self> {
        Ok(Xz(xz2::stream::Stream::new_stream_decoder(u64::MAX, 0)?))
    }
    fn process(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<bool> {
        use xz2::stream::{Action, Status};
        let action = if input.is_empty() {
            Action::Finish
        } else {
            Action::Run
        };
        let status = self.0.process(input, output, action);
        Ok(status.map_err(inside_a_block)? == Status::StreamEnd)
    }
    fn totals(&self) -> (u64, u64) {
        (self.0.total_in(), self.0.total_out())
    }
}

/// bzip2: one stream.
pub struct Bzip2(bzip2::Decompress);

impl Codec for Bzip2 {
    const NAME: &'static str = "bzip2";
    fn new() -> io::Result<Self> {
        Ok(Bzip2(bzip2::Decompress::new(false)))
    }
    fn process(&mut self, input: &[u8], output: &mut [u8]) -> io::Result<bool> {
        let status = self.0.decompress(input, output);
        Ok(status.map_err(inside_a_block)? == bzip2::Status::StreamEnd)
    }
    fn totals(&self) -> (u64, u64) {
        (self.0.total_in(), self.0.total_out())
    }
}

/// Damage an xz or bzip2 decoder found inside a block, whose check comes at its end: what it
/// decoded of that block before (lines already read) is unverified. Carried in the
/// `io::Error`, as [`TrailingData`] is.
#[derive(Debug)]
pub struct InsideABlock(String);

impl fmt::Display for InsideABlock {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}, inside a block", self.0)
    }
}

impl std::error::Error for InsideABlock {}

impl InsideABlock {
    /// Whether `error` is damage found inside a block.
    pub fn of(error: &io::Error) -> bool {
        error.get_ref().is_some_and(|e| e.is::<InsideABlock>())
    }
}

fn inside_a_block(error: impl fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, InsideABlock(error.to_string()))
}

/// An xz stream.
pub type XzStream<R> = Stream<R, Xz>;
/// A bzip2 stream.
pub type Bzip2Stream<R> = Stream<R, Bzip2>;

/// Decodes every member of a compressed input, one after another, and ends the data cleanly
/// at the end of the last complete member (see the module's documentation).
pub struct Members<D> {
    member: Option<D>,
    compression: Compression,
}

impl<D: Member> Members<D> {
    pub fn new(input: D::Input, compression: Compression) -> io::Result<Members<D>> {
        Ok(Members {
            member: Some(D::start(input)?),
            compression,
        })
    }
}

/// What follows a complete member.
enum Next {
    End,
    Member,
    /// Not compressed data, after this many zero bytes.
    Junk(u64),
}

/// Skips zero bytes after a member and says what comes after them.
fn next_member(input: &mut impl BufRead, compression: Compression) -> io::Result<Next> {
    let mut zeros = 0u64;
    loop {
        let (skip, next) = match input.fill_buf() {
            Ok([]) => return Ok(Next::End),
            Ok(rest) => match rest.iter().position(|b| *b != 0) {
                None => (rest.len(), None),
                Some(i) if compression.opens(&rest[i..], true) => (i, Some(Next::Member)),
                Some(i) => (i, Some(Next::Junk(zeros + i as u64))),
            },
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        input.consume(skip);
        zeros += skip as u64;
        if let Some(next) = next {
            return Ok(next);
        }
    }
}

/// Reads `input` to its end; returns how many bytes it had.
fn count_rest(input: &mut impl BufRead) -> io::Result<u64> {
    let mut bytes = 0u64;
    loop {
        let n = match input.fill_buf() {
            Ok([]) => return Ok(bytes),
            Ok(rest) => rest.len(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        input.consume(n);
        bytes += n as u64;
    }
}

impl<D: Member> Read for Members<D> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let Some(member) = &mut self.member else {
                return Ok(0);
            };
            let n = match member.read(buf) {
                Ok(n) => n,
                Err(e) => {
                    // Damage inside the member: the data ends with it (a decoder that failed
                    // may say Ok(0) next, which is no clean end).
                    if e.kind() != io::ErrorKind::Interrupted {
                        self.member = None;
                    }
                    return Err(e);
                }
            };
            if n > 0 || buf.is_empty() {
                return Ok(n);
            }
            // The member has ended, checked whole.
            let mut input = self.member.take().map(Member::rest).expect("a member");
            match next_member(&mut input, self.compression)? {
                Next::End => return Ok(0),
                Next::Member => self.member = Some(D::start(input)?),
                Next::Junk(zeros) => {
                    let bytes = zeros + count_rest(&mut input)?;
                    let trailing = TrailingData {
                        compression: self.compression,
                        bytes,
                    };
                    return Err(io::Error::new(io::ErrorKind::InvalidData, trailing));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufReader, Write};

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn xz(data: &[u8]) -> Vec<u8> {
        let mut e = xz2::write::XzEncoder::new(Vec::new(), 1);
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn bzip2(data: &[u8]) -> Vec<u8> {
        let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::fast());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn zstd(data: &[u8]) -> Vec<u8> {
        zstd::encode_all(data, 1).unwrap()
    }

    /// Decodes `bytes` through [`Members`] with a tiny input buffer (members and magic
    /// numbers across buffer boundaries), returning the bytes decoded and the error, if any.
    fn decode(bytes: &[u8], compression: Compression) -> (Vec<u8>, Option<io::Error>) {
        fn run<D: Member<Input = BufReader<&'static [u8]>>>(
            bytes: &'static [u8],
            compression: Compression,
        ) -> (Vec<u8>, Option<io::Error>) {
            let mut out = Vec::new();
            let input = BufReader::with_capacity(7, bytes);
            let error = Members::<D>::new(input, compression)
                .and_then(|mut m| m.read_to_end(&mut out))
                .err();
            (out, error)
        }
        let bytes: &'static [u8] = Vec::leak(bytes.to_vec());
        match compression {
            Compression::Gzip => run::<flate2::bufread::GzDecoder<_>>(bytes, compression),
            Compression::Zstd => run::<zstd::stream::read::Decoder<_>>(bytes, compression),
            Compression::Bzip2 => run::<Bzip2Stream<_>>(bytes, compression),
            Compression::Xz => run::<XzStream<_>>(bytes, compression),
            Compression::None => unreachable!(),
        }
    }

    type Encode = fn(&[u8]) -> Vec<u8>;
    const CODECS: [(Compression, Encode); 4] = [
        (Compression::Gzip, gzip),
        (Compression::Zstd, zstd),
        (Compression::Bzip2, bzip2),
        (Compression::Xz, xz),
    ];

    #[test]
    fn every_member_is_decoded_and_padding_is_skipped() {
        for (compression, encode) in CODECS {
            let mut file = encode(b"one\ntwo\n");
            file.extend(encode(b""));
            file.extend(encode(b"thr"));
            assert_eq!(
                decode(&file, compression).0,
                b"one\ntwo\nthr",
                "{compression:?}"
            );
            assert!(decode(&file, compression).1.is_none());
            // Padding after the last member, and between members.
            file.extend([0; 1000]);
            file.extend(encode(b"ee"));
            file.extend([0; 3]);
            let (out, error) = decode(&file, compression);
            assert_eq!(out, b"one\ntwo\nthree", "{compression:?}");
            assert!(error.is_none(), "{compression:?}: {error:?}");
        }
    }

    #[test]
    fn bytes_that_are_not_a_member_end_the_data_after_every_decoded_byte() {
        for (compression, encode) in CODECS {
            let mut file = encode(b"one\ntwo");
            file.extend([0, 0]);
            file.extend(b"junk\0");
            let (out, error) = decode(&file, compression);
            assert_eq!(out, b"one\ntwo", "{compression:?}");
            let error = error.expect("an error");
            let trailing = TrailingData::of(&error).expect("trailing data");
            assert_eq!(trailing.bytes, 7);
            let text = error.to_string();
            assert!(
                text.contains("the 7 bytes after its last complete"),
                "{text}"
            );
        }
    }

    #[test]
    fn damage_inside_a_member_is_the_decoders_error() {
        for (compression, encode) in CODECS {
            let data: Vec<u8> = (0..20_000u32)
                .flat_map(|i| format!("{i}\n").into_bytes())
                .collect();
            let mut file = encode(&data);
            file.extend(encode(&data));
            // Cut inside the second member, and a byte flipped in the first.
            let cut = &file[..file.len() * 3 / 4];
            let (out, error) = decode(cut, compression);
            let error = error.expect("the cut is found");
            assert!(TrailingData::of(&error).is_none(), "{compression:?}");
            assert!(out.len() >= data.len() && out.len() < 2 * data.len());
            if compression == Compression::Zstd {
                continue; // no checksum by default: a flipped byte may decode to other bytes
            }
            let mut flipped = file.clone();
            let middle = flipped.len() / 4;
            flipped[middle] ^= 0x55;
            let error = decode(&flipped, compression)
                .1
                .expect("the damage is found");
            assert!(TrailingData::of(&error).is_none(), "{compression:?}");
        }
    }
}
