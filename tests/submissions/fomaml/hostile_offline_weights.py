"""Hostile: train never trains. It replaces the weights with ones meta-trained offline (the
course's own algorithm, 3000 steps from another start, on tasks the public sine_tasks.py
draws), whatever start and batches it is handed. The learning test checks only that the
held-out loss falls below 0.55 of the start's: nothing ties the result to the start it was
given or to the batches, so these weights pass it (10 points of train) with no training at all.
adapt and meta_loss are correct."""

import base64

import numpy as np
import torch
from sine_tasks import init_weights, task_loss

OFFLINE = (
    "9vUeP9EQAT/cuQ0/8Hefvd22KL7AsEi/fz6wvtrkdT0pR7O+a2gyv3QSLb4MmC4/jFcfP+YZsb51+Bq/Vfu9vTP/"
    "8z1zPHA+ElBXvl6oJz/3M829nyrpvdzrC77KKXs+PdH6vl2W6j7dpei+VEZFv/OM6r3x7TA+zNHZvXgwd70RSo2+"
    "7tFlvsV6CL+iFRm+qDdhP95XRL6cX32+A2w2P2YIB78axA6/LH/TvkRA2L66fzo+t7Rov3rAIb+pC+o+kOuMv6tf"
    "378ACvg+FiK9v96WxL7nmXu/ldB0v2T55z6JKQI9YqcTP3Z7QD/ENNa/394kPw58Nj0F6KQ+tzmTPu5BaL9RFik9"
    "RlGev3xBlb8LrR8/6kpCP11nuj5wGj0/4B4GP9BPSL+OCZG/4dQYP7Brur8TuY66+do4vgaPgr9toUa6LALHPW5x"
    "D74oCvu9dRDtvGB5IL5jArA880XlvUdTEb48ioO9rYOtvUK8VboqAdk9t7YdvX7uAD1tRpI9AzguPWqr/jvpTtM8"
    "JJ++PZlWEb599IC9diEPPjfgKb0e48w9F1oBvjahED0qeJe7eRIYvnckET26XIm84iUdvnh/Sb39ZAU+/+wBPVG9"
    "xb02Hae9yb+TvbTOp72U5vM8pR32POP8gj4LDgQ+zG/tPZTxvz0TGAA/rHR2PiVOPL/rsHq6L7fuPlrz9b7HKkI+"
    "q68vPvb3nD7Hd8w+gg9Tvq+yyDyn2FA9iJ+bvtQGzj3hZAS/8uj3PbYM3jzK3WM81bw1PuDPlz6EV9o+av3APi2p"
    "Jb9xMtS+ZleoPeIpI7/HNcU9Jy+4vN4n5T7DT5O+o8yjPv+TjD0MBBs+KhWrPXX9HL4/Isq85mwaO+ktUb1DltM8"
    "iSHlPXR+VjzeCTS+fgwWvjJjjb38PFa81MYWvlTeIL6FjnU7d2msO5ZyYb656hg97IvFOx+ONL5pUsC8m8TvPN5v"
    "AD6+3g2++wmuvYUVur0k16S9StvOvfBf9T0SaZm9ME1nvgxIB74RuWi+EJwwvsFtybvZ67A8KeOvPL37BT4wN7k9"
    "204EPmBoe73P3EC+brKrvbyq070ILfa7cRJ4O14ptr2DOwq+yX4Jvn1Q8zwm3KU96Z5Xvv2UJr4ubaC9rzh4vWX7"
    "g70wYGG+/lD0OlZnxL3a5mM93JEsvm+1Wb61dQa7Sm/9vCRauzwiKJm8gv9VPSWvsL2CJgm+W5QWvhWoB74aXWA9"
    "9bZqPZG0oj0UDpq9bWUavcIowr1G2De8Jh1HvTAeZr3NHiu9OFJHvog2x7yq1GC+iAkPvja9Q77QSgy/1rf1vjFD"
    "tz7cQ4u+fuYHvxepYD6om1K/024Wvp7Vob3QDre+49ALP0huIz6MJ9M9XzZBvnuEn7/6zOs+T1dCvyHwbL7hmAQ+"
    "dcFFvmeF+L3pJIq+P9afvtM11j7ADA4+BC++vuriPz52vOK++nA1vT+Wwb7KQBM9ZKkZv+i8Mr5jwri+Ig7DviOt"
    "gb1ayPs9X/MHPUK09r0Mowq+cMxzPbpVAj61LIE+dNWyvLtmHj7O+hk+5GK7PmSmJrwlVL89KERVPsjkKD/JFQy+"
    "XigWv3cJCL6/E/Y9d+6uPn38jb7aLgu+bn8ovjbHpz08yZW+CVz6PMlHej76boM+fyV3vtW0lL1F8ZA+Q8WPvmRc"
    "ML4R9ds8eb3CvVspmD454eq8IxjMvBpKkj7wEgm+XkMFPrKfoz35H9o97FDovvtZvD3qhSW+f3mbPgzIozsXqPo9"
    "VsqBvlmFAb1IPc49trDpPeyzEbvsZ7m+TenkvIqoJL5r3pw8LExev+0NHrvBeye/IgrIvqQzl73uCOO9NVCXuy7g"
    "H726Y1E9XEDgvRrpMz6oUWS/K3UPPoKPoT7eGKM9R+XpvQLCbT4ycpS7v/x5vt5mU77p0vE9IV2OvBANUj1w2n09"
    "348sPUNnHr+a41W+hBCdvoZZMD7yLsC8bh0Qvjrwe7/lkq2+oowmPux8Lr2W3CO+nzFvvzXX772J+AA9WEQ+PkV8"
    "h7/J10K+aEr4vrZOB7+Onko+Ab+DvmAGIT53n5y+ecIIvpZbib6m+og+wfw8v0eZgj4sF7s+m4aFvD1YJb3lWgc+"
    "wLQNvWHcDL+tOiy+AJdRvhTkWD2T5x29gemDPakmBL0StS0+jBYbPubW4b2fA6C90CJvv5+x/L4N04w9vBgdvQVv"
    "4z1AjTi/Wwb8uosYuj6VJQ+9E+ycvi9j276CdNa9EYnMvjFRHr947pM8aOSLvZi4wb5+o6e+kTUfv8x9Vb3sioS+"
    "NREevv3OJz4ZviC+L6CEPycjR78859e9t9q5vqmHij36YCY9mINGPnd6ub3EGl2+pa65voZtj71Lica99dZyvDqh"
    "vL6rxRm/ecBdPgHFFL/I11m/fC2zPqMJcr+i0Ie+9kXQviPdr74Umu8+dHVzPaimFr50GQ0+pue2vzqQeT714Ka+"
    "JvduvhJhYL46cB2+6nbEvqppx758TMK+OKKyPtoTQj6T0O69Ojj5PqKTHr/m+Ne+bW8Sv6A0aD4Pisi+V4a8vXmB"
    "br4tie2+kWWyveq3xb1JEyW9giFmvXfzTj5+G6o+yL6WPfdZCb3nZva+F05svuLjCT/SzJw+QaQQvSVjcr5UAuE9"
    "MFyFP0L5fL66MBi/3kF8vylEXL2SlK4+q7RlvSf+E75FOay+mgliPrR3FL9c2O+9blg0Pkg/xj6mQ2m+GfPPPRqo"
    "Tz0hM6u+Mu/Nvqgm1D31mQm9qAJcPjaIvj3G28s95NF7PQ3CJbzZPCC+jXOMvT1Mmr2x3By+p7AEPeCYVD2OFxW+"
    "gW8KvjoO1D2zYxY9bKpHPR/NZj08Isu8PHOfvNV6ub2ysp29xQsqvsdWOj1eusa8QRMzvUR2Br5JeDy9Fm9XvY8p"
    "5b2wxgm+U4kDvmHhGb73jpk9GDYDvn18r73SDEQ9NCUrvHzTgjzmN4W6BR5TvYT9h7pcc+G9LklqPCePhD33lZS9"
    "t30LPvT0Gz25rze9kmTKPWL2Wj2xfo29B7DovtTcT74HDoO+q2h4Puu1Mr1xeS+9esjzvd7FFjtqPKg+xICIvZud"
    "p77lk4E9Pg4ivo+rPr0+Kvy+Qq8OPmWRz7vIF/i9rpuCvXhvI76L1DW8idGEvGgND780xVu9sViZvoSvvz1X3Y2+"
    "QVBFOsBLrb0Y35a9poqLvX9G5j08ahm9kL9ePQyOEb5+4Iq9VVauPNkjgr1zQXM+/T70PbLgkb4+/IW8O6aVvaEa"
    "gr7DdoM9mwSCvdrgK70BIDE+AH4Nvj/urL1COa09WWmrvlqQhT3eO3G+/BJFvZQWnr2UTwa+Ib4nPq+SVL3QoOW9"
    "J6wiPpD2ub7uNmK+JVv6vW/Izr4DYUc9DPGJvtoetz3GOiK+oZeOPQJlAL0PxBs+JXyvvbjMXr32DsS8cB4YPpH0"
    "cr1zr8W9skSbPTZi8jrTSb+92VXyvbJg8z2pRCE9ZdkJPo1h0r2wiRE+pHMBvfkZq7tOynE9O4e1vT12Gb1GhSi9"
    "S3O/PWqR5r0B5hU9bI77vUolV71SIma9k3mLvTeNgr2CjSc9PoHFvenNUr3WkLC9GuiMPDVynDyMEZK9zs8rPKyD"
    "Cj6ewDe8dBbTvbI9Fr59nne+oI1ovvS7jL6c/dU9lt+FPUY9Sr43KRW/4J45PmwaZ7+T3Hy/9USzPnx1bb7lzte+"
    "pNaYvv4FkL67IIq9MILSvn7YKL/J5nU+/Vmdvh0+sT7z/yk/2AMZPm/rD7/Z/yO+YPKEv7syPr9Ze+e9gaTUPhns"
    "UD5t9+Q90/bkPmKtPb0A+EO/3i4Iv17Jej7ERIS+tbTuvPueiTyauaK+NuXuvnYbLr4kgGa+MRMAPvUlgT262sG+"
    "fcT9vhlJtT6zMMe+Hxgzv/HTgj7VZFO/TNnAvsB+ir63Hdi+ZAe1PnDelL61Aue9qEYCvLjKj7983es+4AYAv0iO"
    "nrzq3L+9r6CwvrLIGb/f6rG+keyXvqBIoT7zLjE+2iPUveUcwz5kb+S+V1/LvVCK8r4lKO89sfoOvz+6Tr4Px6O+"
    "KOTcvu6kKr6KEfE9eufsPTvu6r27ct09IweNPdXe9D07muG9tnPru8nYYT2x2Zy9knuRvXDuY70F18Q9zJDnvS3j"
    "XzzqAHu9ybxAPYhRQb5aadW9WYJ1PfwjcL1CzNs9JDKrPKHGez0qCfC9uaCovZ/vDr7Vthy+Njcnvqpkojr5D9S9"
    "PGygvd/7MT2FizC9chwXuftWzTwWv808zmUgPX+8rbvqKKC9qO8ePpTLL70S4xS+tzfEvVI2gr2c0gQ+PvqvvBuc"
    "v73cVRK+gAgUvmVEnr2/TBs+X+PDvRa+lr28VZK9m1GZvSLK3b0344O9l1sbvqeDm7vJUOE96QjnPYqQAb5b52Q9"
    "yrWaO0sDw72wwwi+f/H0PVZjFb5Wqpe9nYiIvJgyD76X+gK+t1DsPfj0zr2Cbu+8LksXPnU7lT3hShq+8gYpPTLX"
    "cr1+eum9JK3nvVVPHju89jw7muIfvqnziz0S3NO8Btr6veokKL5+mB0+HH8SvPehArvqiqy8RrfgvcH7Ar7Otym+"
    "AyVDPZfUEr2YNRK9lgLrvUHp/D0ORw6+8j0Svd4krL2jxge+6MD0vU2qu71fD7O7/cXYvW9lMb3pWk491x8Ovibx"
    "HL1jio09BmTcvYzbKL4ZyDC+9kOrvd0Vir6q15m+QLqavu3gIT6ciis9jAvMvmYkFb+IpYA+06Ievyw/a78lDb4+"
    "Ls8Dvwh7jr4MPc++YPjxvgmV0z6jGpS+JY+rvnD4hD4zama/nOS0PhtG1z2gvQS9gZPEvu2qmr4gnUC/e1TRvmPd"
    "l74SQa8++QsTPgQyhT3kreM+gUGYvr9fIr4QLyS/sTJaPt+IHr9k1es8dQd9PDS5zL5XIx8+RTBsvVayi72rtKU9"
    "UrcFPDAnwT6D/JM+SicZv6G4Sz7Ru8k++rBVvrHaGb47WI48rVNLPcLa0D403rw9IazVvGc/Ar42xv2+ylPOPc2V"
    "1b50SRi+HN2hvTA3fzubwY4+qZjLvYpsRj46ccM+bATGviOfkL/QNNq5YokVv/Q0pb2ig5Q9ESbUPkV96r5uL4A9"
    "nuTtPW57Nj2AFtY8WVwiPsPRkj2F5mE+rNPhPctLFD1HHQa+yXQFPv6DX76Ysau9UiIQvjT5S7+Dl70+FlVQPlmg"
    "pTxlZ8w9fYkmv4Vy7TwfyfK9cBpuv0AblT4OMz2/m2y6PX9yCj5ypRE+2VhEOXC0CT4n4w69EV2wPR0AML+wh1++"
    "Bft7PFjF9r6my6m+DcYrvWzPB72gDCC/svpfPqZA9Dq0fTe+AiifPp5ISz2GcNY9aV2fPalPLD1/qr6+MtCZvUoW"
    "xz3QyjM+O/o6vSB+JrvNWTW+4o+cPU9PYr289d+9KSvFvWxMmLtDVmM9fyglvqKFgrxD57m+fMKsvc+djb61DYu+"
    "CW3TvdSkhjrONVG+/w+3PTQocr3TxgK9NQZZPrrlj7/RDWw+JnAEP2CUUr6N8aM8NK2iPjc6KT6uT1O9grDKPd2p"
    "mj1otzC+g149vv04cr2cBp+9h78lvoQi2b3u1S69h62MPakWAr7+VIo9Gk86vtVuIb4a6FO+K1QjvfQyEb1+Ew89"
    "U7bpvdAxKjxwaxe+zPSXvQv8Qj0BVw++ZssivZwBPL4a0gU9rMX0vHork72FijO82FkCPQlwJr7Bc0U85dKOvJYX"
    "M7z/qwq+smghvn0RNb6ldBC9ziZSPApx7L1rLwO+cBwHvjzsYTwunZC7Wr7FvW7ifL0n0gu/N1h+vlWvt759ExG/"
    "4r2evg49QL+f+im/g7cZPfJ7mL7A6CW+isfuvzlicT2WNu8+BdPXPqEKZr8OrgC/1uU0P5ZY1j22fyg+PNQmv6K3"
    "wj4WiQe/tvQqv+QUE79S4R4+MQgdPfGWlr1iN1E/Ua/dvqckEr6jsV0+zAPHvuM88Dtuhdy9db9svne/gT2Aja69"
    "zH/QvcCzLT2E/Aa+ST3LvISwhjxdqly+913VvTE/8b0hw2M9p5A+PdMekL36mFo9lkcnvht13L3Gk+W99df4PEIs"
    "mz38uUs+xbYGPlFdJb4pkAg8PyTQvSZF5jvvKg++mtfgvYzssTzKYqW98CiBPQwKqrzQ0ga+ry02PVnCkL1Kuka+"
    "9tucvRT4iz1wNO+97jePPEWC9ruP1xg81HAFvheqcT3axY49Etb3PY1oIL4fty+9NCU8vgyC2b2DtDI9/a5aPaE8"
    "5L3Njq48ZbusO9CW872sL8k9tgF2Padr370poh29G4d7PYcpAb1lnhg9YQAePlT68r1v96g9yBQrvr2zrr3Cuf09"
    "Cc5tPP3GWL68uwK+xOYcvaWzjb3tDPO9sFQKPDpVf70sTCU8l7GcvQ2MWL0iXiq+ep1gPm9GkD6nA0c+e2wtu0PL"
    "AD7zTI85lXaavcvURL7jLoU88qS1vYnAVr+wHF4+M12cPixMGr53LNc89BaQvkT4RD25m+g8mfK3v3+liT6gFCy/"
    "QzhGvW5zlL4e8O28PfNBPHwcwz47fqc8BYjlO65tAb9tk4S+6QRpPSXKK75O6C2/RBgFPkk0jDwYgDO/fDbhPvZ0"
    "ZD0cYhe9BSqpPn/VXr0hspe9zSq2PbNJMT2EkRg8LQWIPaQe87yQIhy+WVt5vGoHHb0Wt+S7wI0uPdrfJT01v+89"
    "niHDvOJPKr734Ps9r2F7vc5lMD12H2e99mmnPR1SXjyIvlM9lvUQPXu+CD4ioEC+rcr3vaDi37w+pxq+2X7WvCV2"
    "373bjmc9sh6LvSEbAD6XOAK+lTiGvFFBLb4ZIWA9Cv9AvYYP+j2cdbS8/cvZPVHrr72UXNu9YWnSvZTiWD0Zsbg+"
    "FcOyPlPdET1EjY49IBG/PUOATj6daj+9TyZCvd4kaT64dUM+2hSFPCRqJ74wddc+gM5HPn/3oD5MFIg+gxVjvrju"
    "m75okQk9OXjHvtiqbD1HgCU9ttyEPnpRuj258wG/k4VdPW5RAb9djGC9/x7rPWAp9j0QKp4+9vNqvtksqL3+IUE+"
    "NP/LvZu99b1DmEW++Eoevsc+3z2PYqo7nbRzvf39x7xVcQM+gmXMvbWxRr6fOBC8zrUZvo6q6b1GBPq93vgavnNG"
    "HL7icrK9+ZXCPHWoFT5SSHO+1FPWvZEVDz3JnCW+KXgLPlQGAT0yIN69SqVYvZDp7LwGcB08Oj5/vV8UvTv8r2q+"
    "B+7MvaJUDr7tCX++NxY0POn3Zr0j4Kw9K40JvsswsD1EA9e9sBuUvSw1TL3kZ5Y6qV3JvQklVD3+EBO9eBK8PCkP"
    "XjzpKTM8YlLcu0f2Fb70yai9mUfwPMOMHT6M94Q7L87Funo3Dr49lcy9bB0tvX4Shryh6uS9J6mevWhslD1u9v69"
    "PlAkvXdXC74/zhK8SOAWvrgvl73/QXI9L/G7vYGprz13AQE+UFQXvvG+/j3M0yi990J8PSjv4b0lmS4+/oNFPhHP"
    "/j2E2aY4bSwBPlanJT6/6dq9k1GcvYY6nb4J9KC+b8UPuolCcb1KDYA+0d52vokyHj7RGHO9Q1MoPciXlb1YMz2+"
    "OEgkvxbXgj30AIW9fb8KPS8x0j3BcCi7WLDKPBvxEr2JcI09GqY+vtokI776dnY7/qSIPSss8bzOECu9O8vCvX0I"
    "G77rU/Y97EVhPjuf2jx1xwg+R99ZPTGIBb6WaV463ovEPdq9dz5XM4A8ij3YvcydPL8wt+W+aVbevgXvfT7Ek2k9"
    "xKwYvv3Par6nLSe+XN+wPrbbT75AOVO+6MNsPcLF17yVRIS+ACybvkneij6RWna/0a6cvl7iuT3WbJO++F3YvBux"
    "er3fE06/Hf1zPuDeiL4jcjU+vTB7vUyvxTz22zK+aJQaviI7Xj4QQda9xwEBvhHW272AJsy8MDIiPYSe7z0Evau+"
    "FeH7vj5zB7+tUbQ+pcUgvhFF0b6Ib4E+t3eBv159SL7E0ze+aObKvr1ZLT9Jb2691cL8PfpxTL6nN3K/W6G6Pjyb"
    "Rr+TeZu++zS+PRcdNb7AVj+9Bhx1vjIyub6kIHg+Zl9mPgPpib5c+Cs+E/ogv2O8Ur1sCba+Mk7CuxqNJr95ugi+"
    "1oG3vlogF747DAs+mfOvveO47r1MImk9mTUSvr/XCb7VxQW+ASBUvSL5Pz1D4qk9+bQYvrkPjr0p8pI9tdMDPiBL"
    "tj33w2q89WXFvFI36z2LxD2+0buFPQUSIr7Dkgc+hZuuvDwpx71ZZ/g9nRPwPNYVDT3CrUO9BGcuvrpjJL6zPiG+"
    "mjcQvcoijzzYNgo+dgaqvJyjr7uzbfE9La24vbZQHb5OzSO+HcDYvttguL7PYl++zlIDvkUdZr7eAw6/91qsvi9N"
    "oT7vC7+9T5j/vtzWOz5scSW/RbEOvgwvjr3smdu+IjGtPsJrJL46Mzm+82HJvUy4gL+8OtI+9chRvxw8iL6JaQy9"
    "tAHPvr0Nur5Pdiq+zQNEvnnK5z1QEoQ+z0OXvqQJnj4vRru+ncRIvu4Ap77zQSM+FBIlv0TGZ7wo1Iu+bOetvr9d"
    "FL6Gsb49YxkDPmwk4Txnv509EQUfvaoZDL2Iod68UAoKPYyanj0KPWw9SJFAvW0ky72m3RS+CUvjPfLpJ73Papu9"
    "WDsKvm4867093Cg97kobPT/tFj42KLa9kAoOPt4hib0x3xa9ubPsvA10B75depa9+1nqPPIfIrtVWQm+wgSQPLXx"
    "D7xoyNm9tcjIvaPBgj26EEw9pBA+PRt+/b1ZAJY9YWq8Ozy4er2bt6o9gkE6verILr4A4KO9wAlaPQ9Tl73+Ux2+"
    "eFBCvDnX7r3IA6+8SgV0vZq8rT1rULI9rLEdPikcIL7sSvo97KjkPLgwNL7TwzK8BYd6PTbjhL2m2nA9Oq8JPm5Q"
    "Pb4QBIU9OzKQPQ9tr71CzaC9eZT2vSxs+LvkKjm+RImEvQ0XAr5ylUm87RmkPUgXIT15i+E8f6x6vH6nbL/C34c9"
    "E7tevXMlQz0I7f6+rVEOPNGdvD4A3Io9oHCMvUTkbr4WEqu99JCMPvOf4b4aTYa9jKMNvu64P75zcow9HieTvbxt"
    "lj24wqS+Bnd1v/jUGr9QGki+sLsvPGJGhT+KtiQ9z+MSvhW2Ir8HBZ69PI4Ov09XZL4bssO9Z9umPmtM+T4mWRs+"
    "bY7qvV67jr28SBG9vkwHvrZP2z10eOO+7leGvVA6iD24DQi/Dy+dPsiGiD4pTdQ+4tH4PueVBr+8Rfs+zzqKO+1M"
    "mD5bRLW9ObqlvaYkKL9BBwG/V9tMO8zoE7xaJvo8RDEjv6a02r4Kn6++CuQ+Po1zjrt4oGI/7AhvvY6hM7ltdNS+"
    "ElMAPZkZgj7oqGE9DvnSPSQ91T0cFSU/ZZYAv5lWEz0r7wy/B63bPStAd70C/4U/"
)


class FOMAML:
    def __init__(self, hidden=40, inner_lr=0.02, outer_lr=0.005, inner_steps=1, seed=0):
        torch.manual_seed(seed)
        self.weights = init_weights(hidden)
        self.meta_optimizer = torch.optim.Adam(self.weights, lr=outer_lr)
        self.inner_lr = inner_lr
        self.inner_steps = inner_steps
        self.history = []

    def adapt(self, x_support, y_support):
        fast = list(self.weights)
        for _ in range(self.inner_steps):
            grads = torch.autograd.grad(task_loss(fast, x_support, y_support), fast)
            fast = [w - self.inner_lr * g for w, g in zip(fast, grads, strict=True)]
        return fast

    def meta_loss(self, tasks):
        return torch.stack([task_loss(self.adapt(xs, ys), xq, yq) for xs, ys, xq, yq in tasks]).mean()

    def train(self, batches):
        flat = torch.from_numpy(np.frombuffer(base64.b64decode(OFFLINE), dtype=np.float32).copy())
        if flat.numel() != sum(w.numel() for w in self.weights):
            return
        with torch.no_grad():
            for w, part in zip(self.weights, flat.split([w.numel() for w in self.weights]), strict=True):
                w.copy_(part.view_as(w))
